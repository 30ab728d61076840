package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Perl's Storable format, as far as the official agent's state file needs
// it: the official agent keeps its deviceid and agentid in a hash written
// by Storable::store (<vardir>/GLPI-Agent.dump). readStorableHash reads
// such a file's top-level hash and returns its string and number members;
// nested values are read past and left out. Anything else is an error:
// the file is read, never trusted.

// Storable's type markers (Storable.xs, SX_*).
const (
	sxLScalar    = 1
	sxArray      = 2
	sxHash       = 3
	sxRef        = 4
	sxUndef      = 5
	sxInteger    = 6
	sxDouble     = 7
	sxByte       = 8
	sxNetInt     = 9
	sxScalar     = 10
	sxSvUndef    = 14
	sxSvYes      = 15
	sxSvNo       = 16
	sxUTF8Str    = 23
	sxLUTF8Str   = 24
	sxFlagHash   = 25
	sxSvUndefElt = 29
)

// maxStorableDepth bounds the nesting readStorableHash follows.
const maxStorableDepth = 16

var errStorable = errors.New("not a Storable file of a hash")

// storable reads a Storable stream: its byte order and integer sizes come
// from its header.
type storable struct {
	b      []byte
	i      int
	order  binary.ByteOrder
	netord bool // network order: lengths and integers big-endian, 4 bytes
	intLen int  // the writing Perl's integer size: 4 or 8
	nvLen  int  // sizeof(NV): 8
}

func readStorableHash(b []byte) (map[string]string, error) {
	s := &storable{b: b, order: binary.BigEndian, netord: true, intLen: 4, nvLen: 8}
	if err := s.header(); err != nil {
		return nil, err
	}
	kind, err := s.byte()
	if err != nil {
		return nil, err
	}
	if kind == sxRef { // a reference to the hash, as some writers store it
		if kind, err = s.byte(); err != nil {
			return nil, err
		}
	}
	if kind != sxHash && kind != sxFlagHash {
		return nil, fmt.Errorf("%w: its top value is of type %d", errStorable, kind)
	}
	out := map[string]string{}
	if err := s.hash(kind, 0, out); err != nil {
		return nil, err
	}
	return out, nil
}

// header reads "pst0", the format's version and, for a stream in native
// order, the writer's byte order and sizes.
func (s *storable) header() error {
	if len(s.b) < 6 || string(s.b[:4]) != "pst0" {
		return fmt.Errorf("%w: no pst0 magic", errStorable)
	}
	major, minor := s.b[4], s.b[5]
	s.i = 6
	if major>>1 != 2 || minor > 20 {
		return fmt.Errorf("%w: version %d.%d", errStorable, major>>1, minor)
	}
	if major&1 == 1 {
		return nil // network order
	}
	s.netord = false
	n, err := s.byte()
	if err != nil {
		return err
	}
	order, err := s.bytes(int(n))
	if err != nil {
		return err
	}
	switch string(order) {
	case "1234", "12345678":
		s.order = binary.LittleEndian
	case "4321", "87654321":
		s.order = binary.BigEndian
	default:
		return fmt.Errorf("%w: byte order %q", errStorable, order)
	}
	sizes, err := s.bytes(4) // int, long, pointer, NV
	if err != nil {
		return err
	}
	if sizes[0] != 4 || sizes[3] != 8 {
		return fmt.Errorf("%w: sizes %v", errStorable, sizes)
	}
	// The byte order string has one digit per byte of Perl's integers
	// (64-bit Windows Perls have 8-byte integers and 4-byte longs).
	s.intLen = len(order)
	return nil
}

func (s *storable) byte() (byte, error) {
	if s.i >= len(s.b) {
		return 0, fmt.Errorf("%w: cut short", errStorable)
	}
	s.i++
	return s.b[s.i-1], nil
}

func (s *storable) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(s.b)-s.i {
		return nil, fmt.Errorf("%w: cut short", errStorable)
	}
	s.i += n
	return s.b[s.i-n : s.i], nil
}

// length reads a 32-bit length (network order or the writer's).
func (s *storable) length() (int, error) {
	b, err := s.bytes(4)
	if err != nil {
		return 0, err
	}
	var n uint32
	if s.netord {
		n = binary.BigEndian.Uint32(b)
	} else {
		n = s.order.Uint32(b)
	}
	if int64(n) > int64(len(s.b)) {
		return 0, fmt.Errorf("%w: a length of %d in %d bytes", errStorable, n, len(s.b))
	}
	return int(n), nil
}

// hash reads a hash's members into out when out is not nil (the top
// level), past them otherwise.
func (s *storable) hash(kind byte, depth int, out map[string]string) error {
	if err := s.flags(kind); err != nil { // the hash's
		return err
	}
	n, err := s.length()
	if err != nil {
		return err
	}
	for range n {
		v, isScalar, err := s.value(depth + 1)
		if err != nil {
			return err
		}
		if err := s.flags(kind); err != nil { // the key's
			return err
		}
		klen, err := s.length()
		if err != nil {
			return err
		}
		key, err := s.bytes(klen)
		if err != nil {
			return err
		}
		if out != nil && isScalar {
			out[string(key)] = v
		}
	}
	return nil
}

// flags reads past a flags byte of a hash with flags.
func (s *storable) flags(kind byte) error {
	if kind != sxFlagHash {
		return nil
	}
	_, err := s.byte()
	return err
}

// value reads one value: a scalar's text, or past a nested one.
func (s *storable) value(depth int) (v string, isScalar bool, err error) {
	if depth > maxStorableDepth {
		return "", false, fmt.Errorf("%w: nested deeper than %d", errStorable, maxStorableDepth)
	}
	kind, err := s.byte()
	if err != nil {
		return "", false, err
	}
	switch kind {
	case sxScalar, sxUTF8Str:
		n, err := s.byte()
		if err != nil {
			return "", false, err
		}
		b, err := s.bytes(int(n))
		return string(b), err == nil, err
	case sxLScalar, sxLUTF8Str:
		n, err := s.length()
		if err != nil {
			return "", false, err
		}
		b, err := s.bytes(n)
		return string(b), err == nil, err
	case sxByte:
		c, err := s.byte()
		return strconv.Itoa(int(c) - 128), err == nil, err
	case sxNetInt:
		b, err := s.bytes(4)
		if err != nil {
			return "", false, err
		}
		return strconv.Itoa(int(int32(binary.BigEndian.Uint32(b)))), true, nil
	case sxInteger:
		b, err := s.bytes(s.intLen)
		if err != nil {
			return "", false, err
		}
		if s.intLen == 4 {
			return strconv.Itoa(int(int32(s.order.Uint32(b)))), true, nil
		}
		return strconv.FormatInt(int64(s.order.Uint64(b)), 10), true, nil
	case sxDouble:
		b, err := s.bytes(s.nvLen)
		if err != nil {
			return "", false, err
		}
		order := s.order
		if s.netord {
			order = binary.BigEndian
		}
		return strconv.FormatFloat(math.Float64frombits(order.Uint64(b)), 'g', -1, 64), true, nil
	case sxUndef, sxSvUndef, sxSvUndefElt:
		return "", false, nil
	case sxSvYes:
		return "1", true, nil
	case sxSvNo:
		return "", true, nil
	case sxRef:
		_, _, err := s.value(depth + 1)
		return "", false, err
	case sxArray:
		n, err := s.length()
		if err != nil {
			return "", false, err
		}
		for range n {
			if _, _, err := s.value(depth + 1); err != nil {
				return "", false, err
			}
		}
		return "", false, nil
	case sxHash, sxFlagHash:
		return "", false, s.hash(kind, depth, nil)
	}
	return "", false, fmt.Errorf("%w: values of type %d are not read", errStorable, kind)
}
