"""wincompat: will this Windows container image run on this host?"""
