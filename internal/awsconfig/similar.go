package awsconfig

import (
	"cmp"
	"slices"
	"strings"
)

// SimilarNames returns the names a mistyped name most likely meant, closest
// first: those within a small edit distance (a swap of two neighbouring
// letters counts as one edit), and those that start with name. Case is
// ignored when comparing. At most three are returned; none when name is
// itself one of names.
func SimilarNames(name string, names []string) []string {
	if name == "" || slices.Contains(names, name) {
		return nil
	}
	// Short names allow one edit only: with two, "qa" would suggest "ci".
	limit := 2
	if len([]rune(name)) <= 3 {
		limit = 1
	}
	lower := strings.ToLower(name)
	type match struct {
		name string
		dist int
	}
	var found []match
	for _, n := range names {
		ln := strings.ToLower(n)
		d := editDistance(lower, ln)
		switch {
		case d <= limit:
		case strings.HasPrefix(ln, lower):
			d = limit + 1 // after every close spelling
		default:
			continue
		}
		found = append(found, match{n, d})
	}
	slices.SortFunc(found, func(a, b match) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.name, b.name))
	})
	out := make([]string, 0, min(len(found), 3))
	for _, m := range found[:min(len(found), 3)] {
		out = append(out, m.name)
	}
	return out
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent runes each
// cost one.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// rows i-2, i-1 and i of the dynamic programming table.
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
