"""``futures study``: write a small example study to start another foresight study from."""
