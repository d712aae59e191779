package awsemu

import (
	"sync"
	"time"
)

// Clock is the emulator's notion of "now". It runs with the real time shifted by
// an offset, so tests can jump ahead (expire sessions, age MFA authentications,
// skew signatures) while TOTP steps and signing times still move naturally.
// A Clock is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	now    func() time.Time
}

// NewClock returns a clock that reads t now and then advances in real time.
func NewClock(t time.Time) *Clock {
	c := &Clock{now: time.Now}
	c.Set(t)
	return c
}

// realClock returns a clock that follows the real time.
func realClock() *Clock { return &Clock{now: time.Now} }

// Now returns the emulator's current time in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.offset).UTC()
}

// Advance moves the clock forward by d (backwards when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Set makes the clock read t now.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = t.Sub(c.now())
}

// Freeze stops the clock at its current reading: TOTP steps no longer move
// until Advance, so that a test can compute the codes a person would type
// before the program that reads them runs.
func (c *Clock) Freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now().Add(c.offset)
	c.now, c.offset = func() time.Time { return t }, 0
}
