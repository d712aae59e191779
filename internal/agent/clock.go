package agent

import "time"

// Clock is the time source for the agent's idle timeout and lifetime, so
// that tests can move time instead of waiting for it.
type Clock interface {
	Now() time.Time
	// After delivers once on the returned channel when d has passed; d <= 0
	// delivers at once.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
