package collectors

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// readDpkgStatus streams dpkg's status database and returns the installed
// packages ("install ok installed"), in file order, with the name of each
// one's file list in dpkg's info directory, whose time is the package's
// install date: pkg.list, or pkg:arch.list for a "Multi-Arch: same"
// package. Dates are left to the caller, which knows where the lists are.
func readDpkgStatus(r io.Reader) (out []Software, lists []string, err error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var (
		cur       Software
		installed bool
		sameArch  bool
	)
	flush := func() {
		if installed && cur.Name != "" {
			cur.From = "deb"
			out = append(out, cur)
			list := cur.Name + ".list"
			if sameArch && cur.Arch != "" {
				list = cur.Name + ":" + cur.Arch + ".list"
			}
			lists = append(lists, list)
		}
		cur, installed, sameArch = Software{}, false, false
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
			case "Multi-Arch":
				sameArch = string(v) == "same"
			}
		}
		if err == io.EOF {
			flush()
			return out, lists, nil
		}
		if err != nil {
			return out, lists, fmt.Errorf("read dpkg status: %w", err)
		}
	}
}
