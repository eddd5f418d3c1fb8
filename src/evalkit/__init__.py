"""evalkit: which model is best by one agreed number, and is it really better than the simplest thing?"""

__version__ = "0.1.0"
