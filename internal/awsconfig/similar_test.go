package awsconfig

import (
	"slices"
	"testing"
)

func TestSimilarNames(t *testing.T) {
	names := []string{"ci", "default", "dev", "prod", "prod-admin", "production", "staging"}
	tests := []struct {
		name string
		want []string
	}{
		{"dve", []string{"dev"}},                               // swapped letters
		{"prdo", []string{"prod"}},                             // swap at the end
		{"prd", []string{"prod"}},                              // a letter missing
		{"Prod", []string{"prod", "prod-admin", "production"}}, // case, then longer names it starts
		{"prod-admn", []string{"prod-admin"}},
		{"stagign", []string{"staging"}},
		{"produciton", []string{"production"}},
		{"defualt", []string{"default"}},
		{"prod-", []string{"prod", "prod-admin"}},
		{"qa", nil},         // two edits from "ci" is too far for a short name
		{"kubernetes", nil}, // nothing alike
		{"dev", nil},        // exists
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SimilarNames(tt.name, names); !slices.Equal(got, tt.want) {
				t.Errorf("SimilarNames(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"dev", "dev", 0},
		{"dev", "dve", 1},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau
		{"prod", "prd", 1},
		{"élan", "elan", 1}, // runes, not bytes
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
