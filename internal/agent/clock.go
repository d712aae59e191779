package agent

import "time"

// Clock is the time source for the agent's idle timeout and lifetime, so
// that tests can move time instead of waiting for it.
type Clock interface {
	Now() time.Time
	// At delivers once on the returned channel when the clock reaches t; a t
	// not after Now delivers at once. Taking an absolute time (rather than a
	// duration from a Now read earlier) leaves no window in which the clock
	// can move between computing the wait and registering it.
	At(t time.Time) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                  { return time.Now() }
func (realClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }
