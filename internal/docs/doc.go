// Package docs keeps the documentation honest: it extracts the README's
// walk-through, and its tests run that walk-through verbatim in a real
// terminal (TestReadmeWalkthrough).
package docs
