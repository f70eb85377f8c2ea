"""analysis/signposts"""
