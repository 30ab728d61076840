package collectors

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// parseDpkgStatus streams dpkg's status database and returns the installed
// packages ("install ok installed"), in file order. Dates are left to the
// caller, which knows where the package lists are.
func parseDpkgStatus(r io.Reader) ([]Software, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var (
		out       []Software
		cur       Software
		installed bool
	)
	flush := func() {
		if installed && cur.Name != "" {
			cur.From = "deb"
			out = append(out, cur)
		}
		cur, installed = Software{}, false
	}
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// An over-long line (a long Conffiles or Description
			// continuation): skip the rest of it; no field we keep is
			// that long.
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if err == nil {
				flush()
				continue
			}
		} else if line[0] != ' ' && line[0] != '\t' { // continuation lines are skipped
			k, v, _ := bytes.Cut(line, []byte(":"))
			v = bytes.TrimSpace(v)
			switch string(k) {
			case "Package":
				cur.Name = string(v)
			case "Status":
				installed = bytes.HasSuffix(v, []byte(" installed")) && bytes.HasPrefix(v, []byte("install "))
			case "Architecture":
				cur.Arch = string(v)
			case "Version":
				cur.Version = string(v)
			case "Section":
				cur.SystemCategory = string(v)
			case "Homepage":
				cur.URLInfoAbout = string(v)
			case "Installed-Size":
				if kb, perr := strconv.ParseInt(string(v), 10, 64); perr == nil {
					cur.Filesize = kb * 1024
				}
			case "Description":
				cur.Comments = string(v) // the synopsis
			}
		}
		if err == io.EOF {
			flush()
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read dpkg status: %w", err)
		}
	}
}
