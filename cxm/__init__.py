"""CXM: every interaction a company has with its customers, in one honest picture."""
