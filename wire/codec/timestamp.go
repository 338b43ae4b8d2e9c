package codec

import (
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
	"time"
)

// InfinityModifier marks the infinite dates and timestamps, which time.Time
// cannot hold. DecodeValue returns Infinity or NegativeInfinity for them;
// scanning one into a *time.Time is an error, into a *Timestamp it is not.
type InfinityModifier int8

// The infinity modifiers.
const (
	NegativeInfinity InfinityModifier = -1
	Finite           InfinityModifier = 0
	Infinity         InfinityModifier = 1
)

// String returns "infinity", "-infinity" or "finite".
func (m InfinityModifier) String() string {
	switch m {
	case Infinity:
		return "infinity"
	case NegativeInfinity:
		return "-infinity"
	}
	return "finite"
}

// Timestamp is a date, timestamp or timestamptz that may be infinite. Time is
// meaningful only when InfinityModifier is Finite.
type Timestamp struct {
	Time             time.Time
	InfinityModifier InfinityModifier
}

// Time is a PostgreSQL time (of day, without zone): microseconds since
// midnight, 0 through 24:00:00.
type Time struct {
	Microseconds int64
}

// TimeTZ is a PostgreSQL timetz: microseconds since midnight and the zone's
// offset in seconds east of UTC.
type TimeTZ struct {
	Microseconds int64
	Offset       int32
}

const (
	pgEpochUnix   = 946684800 // 2000-01-01 00:00:00 UTC
	usPerSec      = 1_000_000
	usPerDay      = 86_400 * usPerSec
	maxOffsetSecs = 15*3600 + 59*60 + 59 // PostgreSQL's TZDISP_LIMIT
)

// timeFromMicros converts microseconds since the PostgreSQL epoch; the
// result is in UTC.
func timeFromMicros(us int64) time.Time {
	return time.Unix(pgEpochUnix+us/usPerSec, (us%usPerSec)*1000).UTC()
}

// microsFromTime converts t to microseconds since the PostgreSQL epoch,
// rounding nanoseconds to the nearest microsecond as the server does.
func microsFromTime(t time.Time) (int64, error) {
	sec := t.Unix() - pgEpochUnix
	if sec > math.MaxInt64/usPerSec-1 || sec < math.MinInt64/usPerSec+1 {
		return 0, overflow(t.String())
	}
	return sec*usPerSec + (int64(t.Nanosecond())+500)/1000, nil
}

// wallMicros is microseconds since the epoch of t's wall clock, its zone
// dropped: the timestamp-without-time-zone reading of t.
func wallMicros(t time.Time) (int64, error) {
	_, off := t.Zone()
	return microsFromTime(t.Add(time.Duration(off) * time.Second))
}

func decodeTimestampBinary(src []byte, name string) (int64, InfinityModifier, error) {
	if len(src) != 8 {
		return 0, 0, invalid(name, "binary length %d, want 8", len(src))
	}
	us := int64(binary.BigEndian.Uint64(src))
	switch us {
	case math.MaxInt64:
		return 0, Infinity, nil
	case math.MinInt64:
		return 0, NegativeInfinity, nil
	}
	return us, Finite, nil
}

func decodeDateBinary(src []byte) (time.Time, InfinityModifier, error) {
	if len(src) != 4 {
		return time.Time{}, 0, invalid("date", "binary length %d, want 4", len(src))
	}
	days := int32(binary.BigEndian.Uint32(src))
	switch days {
	case math.MaxInt32:
		return time.Time{}, Infinity, nil
	case math.MinInt32:
		return time.Time{}, NegativeInfinity, nil
	}
	return time.Date(2000, 1, 1+int(days), 0, 0, 0, 0, time.UTC), Finite, nil
}

// tsValue boxes a decoded date or timestamp: a time.Time, or the modifier.
func tsValue(t time.Time, inf InfinityModifier) any {
	if inf != Finite {
		return inf
	}
	return t
}

// timeish normalises the Go values date and timestamp parameters take.
func timeish(v any) (time.Time, InfinityModifier, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, Finite, true
	case Timestamp:
		return x.Time, x.InfinityModifier, true
	case InfinityModifier:
		return time.Time{}, x, true
	}
	return time.Time{}, 0, false
}

func timeCodecs() []Codec {
	return []Codec{
		timestampCodec(OIDTimestamptz, "timestamptz", true),
		timestampCodec(OIDTimestamp, "timestamp", false),
		dateCodec(),
		timeOfDayCodec(),
		timetzCodec(),
		intervalCodec(),
	}
}

func timestampCodec(oid uint32, name string, tz bool) Codec {
	var goType reflect.Type
	if tz {
		goType = reflect.TypeFor[time.Time]()
	}
	finish := func(t time.Time, opts *Options) time.Time {
		if tz {
			return t.In(opts.location())
		}
		return t
	}
	decBin := func(src []byte, opts *Options) (time.Time, InfinityModifier, error) {
		us, inf, err := decodeTimestampBinary(src, name)
		if err != nil || inf != Finite {
			return time.Time{}, inf, err
		}
		return finish(timeFromMicros(us), opts), Finite, nil
	}
	decText := func(src []byte, opts *Options) (time.Time, InfinityModifier, error) {
		t, inf, err := parseTimestampText(src, tz)
		if err != nil {
			return time.Time{}, 0, invalid(name, "text value %q", src)
		}
		if inf != Finite {
			return time.Time{}, inf, nil
		}
		return finish(t, opts), Finite, nil
	}
	return &builtin{
		oid: oid, name: name, goType: goType,
		decodeBinary: func(src []byte, opts *Options) (any, error) {
			t, inf, err := decBin(src, opts)
			if err != nil {
				return nil, err
			}
			return tsValue(t, inf), nil
		},
		decodeText: func(src []byte, opts *Options) (any, error) {
			t, inf, err := decText(src, opts)
			if err != nil {
				return nil, err
			}
			return tsValue(t, inf), nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			t, inf, ok := timeish(v)
			if !ok {
				return buf, false, nil
			}
			var us int64
			var err error
			switch {
			case inf == Infinity:
				us = math.MaxInt64
			case inf == NegativeInfinity:
				us = math.MinInt64
			case tz:
				us, err = microsFromTime(t)
			default:
				us, err = wallMicros(t)
			}
			if err != nil {
				return buf, false, err
			}
			return binary.BigEndian.AppendUint64(buf, uint64(us)), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			t, inf, ok := timeish(v)
			if !ok {
				return buf, cantEncode(v, name)
			}
			if inf != Finite {
				return append(buf, inf.String()...), nil
			}
			return appendTimestampText(buf, t, tz), nil
		},
		fast: func(format int16, src []byte, dest any, opts *Options) (bool, error) {
			d, ok := dest.(*time.Time)
			if !ok {
				return false, nil
			}
			var t time.Time
			var inf InfinityModifier
			var err error
			if format == BinaryFormat {
				t, inf, err = decBin(src, opts)
			} else {
				t, inf, err = decText(src, opts)
			}
			if err != nil {
				return true, err
			}
			if inf != Finite {
				return true, overflow(inf.String())
			}
			*d = t
			return true, nil
		},
	}
}

func dateCodec() Codec {
	decText := func(src []byte) (time.Time, InfinityModifier, error) {
		switch string(src) {
		case "infinity":
			return time.Time{}, Infinity, nil
		case "-infinity":
			return time.Time{}, NegativeInfinity, nil
		}
		b, bc := cutBC(src)
		y, m, d, rest, ok := parseDateText(b)
		if !ok || len(rest) != 0 {
			return time.Time{}, 0, invalid("date", "text value %q", src)
		}
		if bc {
			y = 1 - y
		}
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), Finite, nil
	}
	return &builtin{
		oid: OIDDate, name: "date",
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			t, inf, err := decodeDateBinary(src)
			if err != nil {
				return nil, err
			}
			return tsValue(t, inf), nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			t, inf, err := decText(src)
			if err != nil {
				return nil, err
			}
			return tsValue(t, inf), nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			t, inf, ok := timeish(v)
			if !ok {
				return buf, false, nil
			}
			var days int64
			switch inf {
			case Infinity:
				days = math.MaxInt32
			case NegativeInfinity:
				days = math.MinInt32
			default:
				y, m, d := t.Date()
				days = (time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - pgEpochUnix) / 86400
				if days >= math.MaxInt32 || days <= math.MinInt32 {
					return buf, false, overflow(t.String())
				}
			}
			return binary.BigEndian.AppendUint32(buf, uint32(int32(days))), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			t, inf, ok := timeish(v)
			if !ok {
				return buf, cantEncode(v, "date")
			}
			if inf != Finite {
				return append(buf, inf.String()...), nil
			}
			buf = appendDateText(buf, t)
			if t.Year() <= 0 {
				buf = append(buf, " BC"...)
			}
			return buf, nil
		},
		fast: func(format int16, src []byte, dest any, _ *Options) (bool, error) {
			d, ok := dest.(*time.Time)
			if !ok {
				return false, nil
			}
			var t time.Time
			var inf InfinityModifier
			var err error
			if format == BinaryFormat {
				t, inf, err = decodeDateBinary(src)
			} else {
				t, inf, err = decText(src)
			}
			if err != nil {
				return true, err
			}
			if inf != Finite {
				return true, overflow(inf.String())
			}
			*d = t
			return true, nil
		},
	}
}

func timeOfDayCodec() Codec {
	return &builtin{
		oid: OIDTime, name: "time",
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			if len(src) != 8 {
				return nil, invalid("time", "binary length %d, want 8", len(src))
			}
			us := int64(binary.BigEndian.Uint64(src))
			if us < 0 || us > usPerDay {
				return nil, invalid("time", "%d microseconds", us)
			}
			return Time{us}, nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			h, m, s, ns, rest, ok := parseClock(src)
			if !ok || len(rest) != 0 {
				return nil, invalid("time", "text value %q", src)
			}
			us := clockMicros(h, m, s, ns)
			if us > usPerDay {
				return nil, invalid("time", "text value %q", src)
			}
			return Time{us}, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			us, ok, err := timeOfDayMicros(v)
			if !ok || err != nil {
				return buf, ok, err
			}
			return binary.BigEndian.AppendUint64(buf, uint64(us)), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			us, ok, err := timeOfDayMicros(v)
			if err != nil {
				return buf, err
			}
			if !ok {
				return buf, cantEncode(v, "time")
			}
			return appendClockMicros(buf, us), nil
		},
	}
}

func timeOfDayMicros(v any) (int64, bool, error) {
	var us int64
	switch x := v.(type) {
	case Time:
		us = x.Microseconds
	case time.Duration:
		us = x.Microseconds()
	default:
		return 0, false, nil
	}
	if us < 0 || us > usPerDay {
		return 0, true, overflowInt(us)
	}
	return us, true, nil
}

func timetzCodec() Codec {
	return &builtin{
		oid: OIDTimetz, name: "timetz",
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			if len(src) != 12 {
				return nil, invalid("timetz", "binary length %d, want 12", len(src))
			}
			us := int64(binary.BigEndian.Uint64(src))
			west := int32(binary.BigEndian.Uint32(src[8:]))
			if us < 0 || us > usPerDay || west > maxOffsetSecs || west < -maxOffsetSecs {
				return nil, invalid("timetz", "%d microseconds, zone %d", us, west)
			}
			return TimeTZ{Microseconds: us, Offset: -west}, nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			h, m, s, ns, rest, ok := parseClock(src)
			if !ok {
				return nil, invalid("timetz", "text value %q", src)
			}
			off, rest, ok := parseOffset(rest)
			us := clockMicros(h, m, s, ns)
			if !ok || len(rest) != 0 || us > usPerDay {
				return nil, invalid("timetz", "text value %q", src)
			}
			return TimeTZ{Microseconds: us, Offset: int32(off)}, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			t, ok := v.(TimeTZ)
			if !ok {
				return buf, false, nil
			}
			if t.Microseconds < 0 || t.Microseconds > usPerDay || t.Offset > maxOffsetSecs || t.Offset < -maxOffsetSecs {
				return buf, false, overflowInt(t.Microseconds)
			}
			buf = binary.BigEndian.AppendUint64(buf, uint64(t.Microseconds))
			return binary.BigEndian.AppendUint32(buf, uint32(-t.Offset)), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			t, ok := v.(TimeTZ)
			if !ok {
				return buf, cantEncode(v, "timetz")
			}
			buf = appendClockMicros(buf, t.Microseconds)
			return appendOffset(buf, int(t.Offset)), nil
		},
	}
}

// cutBC strips a trailing " BC".
func cutBC(b []byte) ([]byte, bool) {
	if n := len(b); n > 3 && string(b[n-3:]) == " BC" {
		return b[:n-3], true
	}
	return b, false
}

// parseTimestampText reads "YYYY-MM-DD HH:MM:SS[.f][±zone][ BC]", infinity
// and -infinity. A seconds field of 60 (a leap second, which the server's
// input accepts) rolls over into the next minute.
func parseTimestampText(src []byte, tz bool) (time.Time, InfinityModifier, error) {
	switch string(src) {
	case "infinity":
		return time.Time{}, Infinity, nil
	case "-infinity":
		return time.Time{}, NegativeInfinity, nil
	}
	b, bc := cutBC(src)
	y, mo, d, rest, ok := parseDateText(b)
	if !ok || len(rest) < 1 || rest[0] != ' ' {
		return time.Time{}, 0, ErrInvalid
	}
	h, mi, s, ns, rest, ok := parseClock(rest[1:])
	if !ok {
		return time.Time{}, 0, ErrInvalid
	}
	off := 0
	if tz {
		off, rest, ok = parseOffset(rest)
		if !ok {
			return time.Time{}, 0, ErrInvalid
		}
	}
	if len(rest) != 0 {
		return time.Time{}, 0, ErrInvalid
	}
	if bc {
		y = 1 - y
	}
	ns = (ns + 500) / 1000 * 1000 // the server keeps microseconds, rounding
	t := time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	if off != 0 {
		t = t.Add(-time.Duration(off) * time.Second)
	}
	return t, Finite, nil
}

// parseDateText reads YYYY-MM-DD (four or more year digits).
func parseDateText(b []byte) (y, m, d int, rest []byte, ok bool) {
	i := 0
	for i < len(b) && i < 9 && isDigit(b[i]) {
		y = y*10 + int(b[i]-'0')
		i++
	}
	if i < 4 || y == 0 || len(b) < i+6 || b[i] != '-' || b[i+3] != '-' {
		return 0, 0, 0, nil, false
	}
	m, ok1 := two(b[i+1:])
	d, ok2 := two(b[i+4:])
	if !ok1 || !ok2 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, nil, false
	}
	return y, m, d, b[i+6:], true
}

// parseClock reads HH:MM:SS[.fraction]; hours may reach 24 and seconds 60.
func parseClock(b []byte) (h, m, s, ns int, rest []byte, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, 0, nil, false
	}
	var ok1, ok2, ok3 bool
	h, ok1 = two(b)
	m, ok2 = two(b[3:])
	s, ok3 = two(b[6:])
	if !ok1 || !ok2 || !ok3 || h > 24 || m > 59 || s > 60 {
		return 0, 0, 0, 0, nil, false
	}
	b = b[8:]
	if len(b) > 0 && b[0] == '.' {
		i, scale := 1, 100_000_000
		for i < len(b) && isDigit(b[i]) {
			ns += int(b[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == 1 {
			return 0, 0, 0, 0, nil, false
		}
		b = b[i:]
	}
	return h, m, s, ns, b, true
}

func clockMicros(h, m, s, ns int) int64 {
	return int64(h)*3600*usPerSec + int64(m)*60*usPerSec + int64(s)*usPerSec + int64(ns+500)/1000
}

// parseOffset reads ±HH[:MM[:SS]] and returns seconds east of UTC.
func parseOffset(b []byte) (int, []byte, bool) {
	if len(b) < 3 || (b[0] != '+' && b[0] != '-') {
		return 0, nil, false
	}
	neg := b[0] == '-'
	h, ok := two(b[1:])
	if !ok {
		return 0, nil, false
	}
	secs := h * 3600
	b = b[3:]
	for _, mul := range [2]int{60, 1} {
		if len(b) < 3 || b[0] != ':' {
			break
		}
		v, ok := two(b[1:])
		if !ok || v > 59 {
			return 0, nil, false
		}
		secs += v * mul
		b = b[3:]
	}
	if secs > maxOffsetSecs {
		return 0, nil, false
	}
	if neg {
		secs = -secs
	}
	return secs, b, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func two(b []byte) (int, bool) {
	if len(b) < 2 || !isDigit(b[0]) || !isDigit(b[1]) {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// appendTimestampText prints t as PostgreSQL 15 does with DateStyle=ISO:
// timestamptz in t's own zone with its offset.
func appendTimestampText(buf []byte, t time.Time, tz bool) []byte {
	t = t.Round(time.Microsecond) // as the binary form and the server's input round
	if !tz {
		_, off := t.Zone()
		t = t.Add(time.Duration(off) * time.Second).UTC()
	}
	buf = appendDateText(buf, t)
	buf = append(buf, ' ')
	h, m, s := t.Clock()
	buf = appendClock(buf, h, m, s, t.Nanosecond()/1000)
	if tz {
		_, off := t.Zone()
		buf = appendOffset(buf, off)
	}
	if t.Year() <= 0 {
		buf = append(buf, " BC"...)
	}
	return buf
}

func appendDateText(buf []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y <= 0 {
		y = 1 - y
	}
	buf = appendPadded(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPadded(buf, int(m), 2)
	buf = append(buf, '-')
	return appendPadded(buf, d, 2)
}

func appendPadded(buf []byte, n, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

func appendClockMicros(buf []byte, us int64) []byte {
	return appendClock(buf, int(us/(3600*usPerSec)), int(us/(60*usPerSec)%60), int(us/usPerSec%60), int(us%usPerSec))
}

// appendClock prints HH:MM:SS and the microseconds without trailing zeros.
func appendClock(buf []byte, h, m, s, us int) []byte {
	buf = appendPadded(buf, h, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, m, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, s, 2)
	if us != 0 {
		buf = append(buf, '.')
		n := len(buf)
		buf = appendPadded(buf, us, 6)
		for buf[len(buf)-1] == '0' && len(buf) > n {
			buf = buf[:len(buf)-1]
		}
	}
	return buf
}

// appendOffset prints a zone offset the way PostgreSQL does: +HH, +HH:MM,
// or +HH:MM:SS.
func appendOffset(buf []byte, off int) []byte {
	if off < 0 {
		buf = append(buf, '-')
		off = -off
	} else {
		buf = append(buf, '+')
	}
	buf = appendPadded(buf, off/3600, 2)
	if off%3600 != 0 {
		buf = append(buf, ':')
		buf = appendPadded(buf, off/60%60, 2)
		if off%60 != 0 {
			buf = append(buf, ':')
			buf = appendPadded(buf, off%60, 2)
		}
	}
	return buf
}
