package collect

// Failed returns the sources, in configuration order, whose collections
// have all failed: they have no good articles to publish.
func (c *Collector) Failed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, name := range c.order {
		if k := c.kept[name]; k.collected && !k.ok {
			out = append(out, name)
		}
	}
	return out
}

// cancelled ends a collection stopped from outside (shutdown, a reload, an
// interrupted generate): not a failure of the source, so nothing of its
// record but Running changes, and it is logged at info level.
func (c *Collector) cancelled(name string, err error) error {
	c.mu.Lock()
	c.kept[name].rec.Status.Running = false
	c.mu.Unlock()
	c.log.Info("collection cancelled", "source", name)
	return &Error{Source: name, Err: err}
}
