package docs

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Markers that enclose the README's walk-through. Every ```sh block between
// them is run, command by command, in one shell.
const (
	walkBegin = "<!-- walkthrough -->"
	walkEnd   = "<!-- /walkthrough -->"
)

// Command is one shell command of the walk-through, as the README spells it
// (continuation lines and here-documents included), with the exit status the
// README promises for it.
type Command struct {
	Text string
	Line int // 1-based line in the README where it starts
	Exit int
}

// exitNote is how the README marks a command that is meant to fail: a
// trailing comment "# exits N" (anything may follow the number).
var exitNote = regexp.MustCompile(`#.*\bexits (\d+)\b`)

// heredoc finds the terminator of a here-document on a command's first line.
var heredoc = regexp.MustCompile(`<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// Walkthrough extracts the commands of the walk-through from a README.
func Walkthrough(readme string) ([]Command, error) {
	var (
		cmds           []Command
		inWalk, inSh   bool
		sawBegin       bool
		cur            []string
		curLine        int
		heredocEnd     string
		continuingLine bool
	)
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		text := strings.Join(cur, "\n")
		c := Command{Text: text, Line: curLine}
		if m := exitNote.FindStringSubmatch(cur[0]); m != nil {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return fmt.Errorf("README line %d: bad exit note: %w", curLine, err)
			}
			c.Exit = n
		}
		cmds = append(cmds, c)
		cur = nil
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case !inWalk:
			if trimmed == walkBegin {
				if sawBegin {
					return nil, fmt.Errorf("README line %d: a second walk-through", n)
				}
				inWalk, sawBegin = true, true
			}
			continue
		case !inSh && trimmed == walkEnd:
			inWalk = false
			continue
		case !inSh:
			if trimmed == "```sh" {
				inSh = true
			}
			continue
		}
		// Inside a ```sh block.
		if heredocEnd != "" {
			cur = append(cur, line)
			if trimmed == heredocEnd {
				heredocEnd = ""
				if err := flush(); err != nil {
					return nil, err
				}
			}
			continue
		}
		if trimmed == "```" {
			if continuingLine {
				return nil, fmt.Errorf("README line %d: a block ends inside a continued line", n)
			}
			if err := flush(); err != nil {
				return nil, err
			}
			inSh = false
			continue
		}
		if !continuingLine && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if !continuingLine {
			curLine = n
		}
		cur = append(cur, line)
		if m := heredoc.FindStringSubmatch(line); m != nil && !continuingLine {
			heredocEnd = m[1]
			continue
		}
		continuingLine = strings.HasSuffix(line, "\\")
		if !continuingLine {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	switch {
	case !sawBegin:
		return nil, fmt.Errorf("README has no %s", walkBegin)
	case inWalk || inSh || heredocEnd != "":
		return nil, fmt.Errorf("README's walk-through is not closed")
	case len(cmds) == 0:
		return nil, fmt.Errorf("README's walk-through has no commands")
	}
	return cmds, nil
}
