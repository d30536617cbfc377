package monitor

import (
	"context"
)

// Observer is a collector that fills a whole observation in one pass: the
// process table and what else its source tells (services, paths,
// heartbeats, transactions). RunCheck prefers it to Collect.
type Observer interface {
	Observe(ctx context.Context, obs *Observation) error
}
