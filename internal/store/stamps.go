package store

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/heraldfeed/herald/sources"
)

// appendStamps appends `"files":{…}` for files to buf, keys sorted, in the
// encoding encoding/json gives a map of sources.FileStamp. A files source
// stamps every file (100,000 for a large folder) and a cold import saves
// its state again with every part: encoding/json's growing buffer held
// about four times the result, the largest allocation of the import.
// Here the buffer is sized once.
func appendStamps(buf []byte, files map[string]sources.FileStamp) []byte {
	keys := make([]string, 0, len(files))
	size := len(buf) + 16
	for k, st := range files {
		keys = append(keys, k)
		size += len(k) + len(st.ID) + 64
	}
	slices.Sort(keys)
	buf = slices.Grow(buf, size-len(buf))
	buf = append(buf, `"files":{`...)
	for i, k := range keys {
		st := files[k]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, `:{"size":`...)
		buf = strconv.AppendInt(buf, st.Size, 10)
		buf = append(buf, `,"mtime":`...)
		buf = strconv.AppendInt(buf, st.ModTime, 10)
		buf = append(buf, `,"id":`...)
		buf = appendString(buf, st.ID)
		buf = append(buf, '}')
	}
	return append(buf, '}')
}

// appendString appends s as a JSON string. Plain printable ASCII, what
// paths and IDs almost always are, is copied as it is; anything else is
// left to encoding/json, so escapes and invalid UTF-8 are handled as it
// handles them.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(buf, q...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
