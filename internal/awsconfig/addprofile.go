package awsconfig

import (
	"context"
	"fmt"
)

// AddProfile adds an empty section for profile to the config file ([default]
// or [profile NAME]) unless the file already has one. Nothing else changes.
func AddProfile(ctx context.Context, paths Paths, profile string) error {
	if err := ValidateSection(profile); err != nil {
		return fmt.Errorf("adding profile: %w", err)
	}
	return Update(ctx, paths.Config, func(f *File) error {
		header := f.profileSection(profile)
		if f.HasSection(header) {
			return nil
		}
		return f.addSection(header)
	})
}

// addSection appends an empty "[section]", after a blank line unless the file
// is empty or already ends with one.
func (f *File) addSection(section string) error {
	data := f.Bytes()
	eol := f.eol()
	if n := len(f.lines); n > 0 {
		if f.lines[n-1].eol == "" {
			data = append(data, eol...)
		}
		if pyStrip(f.lines[n-1].text) != "" {
			data = append(data, eol...)
		}
	}
	data = append(data, "["+section+"]"+eol...)
	nf, err := Parse(f.name, data)
	if err != nil {
		return err
	}
	*f = *nf
	return nil
}
