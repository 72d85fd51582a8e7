"""Campaign services: the public list and detail (listing), owners' writes (manage), applications."""
