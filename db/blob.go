package db

import (
	"fmt"

	"github.com/klauspost/compress/s2"
)

// Blob is a stored body (an event's payload, a log row's request data).
// Bodies are JSON and compress well, and they are most of what the
// database writes per delivery, so PackBlob stores them S2-compressed
// behind a marker byte no JSON text starts with. Scanning into a Blob
// undoes that, and takes a body stored as it was unchanged.
type Blob []byte

// blobS2 marks an S2-compressed blob.
const blobS2 = 0x01

// PackBlob is the stored form of b: compressed when that saves space.
func PackBlob(b []byte) []byte {
	if len(b) < 64 {
		return b
	}
	buf := make([]byte, 1+s2.MaxEncodedLen(len(b)))
	buf[0] = blobS2
	out := buf[:1+len(s2.EncodeBetter(buf[1:], b))]
	if len(out) >= len(b) {
		return b
	}
	return out
}

// Scan implements sql.Scanner.
func (b *Blob) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case nil:
		*b = nil
		return nil
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		return fmt.Errorf("scan blob: unexpected %T", src)
	}
	if len(raw) == 0 || raw[0] != blobS2 {
		*b = append(Blob(nil), raw...) // the driver reuses src
		return nil
	}
	out, err := s2.Decode(nil, raw[1:])
	if err != nil {
		return fmt.Errorf("scan blob: %w", err)
	}
	*b = out
	return nil
}

// TolerantBlob is a Blob that reads a damaged body (one that cannot be
// decompressed) as missing, with the reason in Err, instead of failing the
// whole query: one damaged event must not hold up or hide the rows read
// with it.
type TolerantBlob struct {
	Blob
	Err error
}

// Scan implements sql.Scanner.
func (b *TolerantBlob) Scan(src any) error {
	if b.Err = b.Blob.Scan(src); b.Err != nil {
		b.Blob = nil
	}
	return nil
}
