"""Fleet questions: many images, many hosts, whole clusters (fleet.md). Pure logic plus the
question functions over the resolver; HTTP and CLI are doors to service.fleet.questions."""
