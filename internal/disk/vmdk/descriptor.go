package vmdk

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Limits on what a descriptor may ask for.
const (
	// maxDescriptor bounds the descriptor text; real ones are a few
	// hundred bytes.
	maxDescriptor = 1 << 20
	// maxExtents bounds the extent count: a 2 TiB twoGbMaxExtent disk
	// has about a thousand.
	maxExtents = 4096
)

// extentType is the type field of an extent line ("Extent Descriptions").
type extentType string

const (
	extentFlat   extentType = "FLAT"
	extentSparse extentType = "SPARSE"
	extentZero   extentType = "ZERO"
	extentVMFS   extentType = "VMFS"
)

// extentDesc is one extent line: RW 2048 FLAT "disk-flat.vmdk" 0.
type extentDesc struct {
	access  string
	sectors uint64
	typ     extentType
	file    string
	offset  uint64 // in sectors, FLAT and VMFS only
}

// descriptor is the parsed text descriptor.
type descriptor struct {
	createType string
	parentCID  string
	parentHint string
	extents    []extentDesc
}

// parseDescriptor parses a descriptor ("The Descriptor"): key=value lines,
// extent lines and the disk database, with # comments. Keys this reader
// does not use are ignored, as VMware does.
func parseDescriptor(text []byte) (*descriptor, error) {
	if len(text) > maxDescriptor {
		return nil, fmt.Errorf("vmdk: descriptor of %d bytes exceeds %d", len(text), maxDescriptor)
	}
	// An embedded descriptor is padded with NULs to whole sectors.
	if i := bytes.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	d := &descriptor{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, maxDescriptor)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if isExtentLine(line) {
			e, err := parseExtentLine(line)
			if err != nil {
				return nil, fmt.Errorf("vmdk: descriptor line %d: %w", lineNo, err)
			}
			if len(d.extents) == maxExtents {
				return nil, fmt.Errorf("vmdk: descriptor has more than %d extents", maxExtents)
			}
			d.extents = append(d.extents, e)
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("vmdk: descriptor line %d: neither key=value nor an extent: %q", lineNo, line)
		}
		value = unquote(strings.TrimSpace(value))
		switch strings.TrimSpace(key) {
		case "createType":
			d.createType = value
		case "parentCID":
			d.parentCID = value
		case "parentFileNameHint":
			d.parentHint = value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vmdk: descriptor: %w", err)
	}
	return d, nil
}

func isExtentLine(line string) bool {
	for _, a := range []string{"RW ", "RDONLY ", "NOACCESS "} {
		if strings.HasPrefix(line, a) {
			return true
		}
	}
	return false
}

// parseExtentLine parses: access size type ["file name" [offset]].
func parseExtentLine(line string) (extentDesc, error) {
	var e extentDesc
	fields, err := splitQuoted(line)
	if err != nil {
		return e, err
	}
	if len(fields) < 3 {
		return e, fmt.Errorf("extent line %q has %d fields, want at least 3", line, len(fields))
	}
	e.access = fields[0]
	if e.sectors, err = strconv.ParseUint(fields[1], 10, 64); err != nil {
		return e, fmt.Errorf("extent size %q: %w", fields[1], err)
	}
	e.typ = extentType(fields[2])
	if e.sectors > maxSectors {
		return e, fmt.Errorf("extent of %d sectors is too large", e.sectors)
	}
	switch e.typ {
	case extentZero:
		return e, nil
	case extentFlat, extentVMFS, extentSparse:
	default:
		return e, fmt.Errorf("unsupported extent type %s", e.typ)
	}
	if len(fields) < 4 || fields[3] == "" {
		return e, fmt.Errorf("%s extent without a file name", e.typ)
	}
	e.file = fields[3]
	if len(fields) >= 5 && e.typ != extentSparse {
		if e.offset, err = strconv.ParseUint(fields[4], 10, 64); err != nil {
			return e, fmt.Errorf("extent offset %q: %w", fields[4], err)
		}
		if e.offset > maxSectors {
			return e, fmt.Errorf("extent offset of %d sectors is too large", e.offset)
		}
	}
	return e, nil
}

// splitQuoted splits on blanks, keeping "quoted strings" (which may hold
// blanks) as one field without their quotes.
func splitQuoted(line string) ([]string, error) {
	var fields []string
	for {
		line = strings.TrimLeft(line, " \t")
		if line == "" {
			return fields, nil
		}
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", line)
			}
			fields = append(fields, line[1:1+end])
			line = line[2+end:]
			continue
		}
		end := strings.IndexAny(line, " \t")
		if end < 0 {
			end = len(line)
		}
		fields = append(fields, line[:end])
		line = line[end:]
	}
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
