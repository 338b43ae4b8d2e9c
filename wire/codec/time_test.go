package codec_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pgactor/pgactor/wire/codec"
)

func TestTimestampText(t *testing.T) {
	r := codec.NewRegistry()
	tests := []struct {
		oid  uint32
		in   string
		want any
	}{
		{codec.OIDTimestamptz, "2016-12-31 23:59:60+00", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{codec.OIDTimestamp, "2016-12-31 23:59:60.5", time.Date(2017, 1, 1, 0, 0, 0, 5e8, time.UTC)},
		{codec.OIDTimestamptz, "1850-01-01 00:53:28+00:53:28", time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC)},
		{codec.OIDTimestamptz, "2000-01-01 00:00:00-09:30", time.Date(2000, 1, 1, 9, 30, 0, 0, time.UTC)},
		{codec.OIDTimestamptz, "0001-01-01 00:00:00+00 BC", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{codec.OIDTimestamp, "294276-12-31 23:59:59.999999", time.Date(294276, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{codec.OIDTimestamp, "2000-01-01 00:00:00.1234567", time.Date(2000, 1, 1, 0, 0, 0, 123457000, time.UTC)},
		{codec.OIDDate, "2000-02-30", time.Date(2000, 3, 1, 0, 0, 0, 0, time.UTC)},
		{codec.OIDTime, "23:59:60", codec.Time{Microseconds: 86400e6}},
		{codec.OIDTimetz, "00:00:00-15:59:59", codec.TimeTZ{Offset: -(15*3600 + 59*60 + 59)}},
	}
	for _, tc := range tests {
		got, err := r.DecodeValue(tc.oid, codec.TextFormat, []byte(tc.in), nil)
		if err != nil || !sameValue(got, tc.want) {
			t.Errorf("%s: %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		oid uint32
		in  string
	}{
		{codec.OIDTimestamptz, "2000-01-01 00:00:00"},
		{codec.OIDTimestamp, "2000-01-01 00:00:00+01"},
		{codec.OIDTimestamp, "2000-13-01 00:00:00"},
		{codec.OIDTimestamp, "2000-01-01 25:00:00"},
		{codec.OIDTimestamp, "2000-01-01T00:00:00"},
		{codec.OIDTimestamp, "2000-01-01 00:00:00."},
		{codec.OIDTimestamptz, "2000-01-01 00:00:00+16"},
		{codec.OIDDate, "200-01-01"},
		{codec.OIDDate, "2000-01-01 AD"},
		{codec.OIDTime, "24:00:01"},
		{codec.OIDTime, "1:00:00"},
		{codec.OIDTimetz, "01:00:00"},
	} {
		if _, err := r.DecodeValue(bad.oid, codec.TextFormat, []byte(bad.in), nil); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", bad.in, err)
		}
	}
}

func TestTimestamptzLocation(t *testing.T) {
	r := codec.NewRegistry()
	loc := berlin(t)
	for _, format := range []int16{codec.BinaryFormat, codec.TextFormat} {
		src := be64(0)
		if format == codec.TextFormat {
			src = []byte("2000-01-01 00:00:00+00")
		}
		var got time.Time
		if err := r.Scan(codec.OIDTimestamptz, format, src, &got, &codec.Options{Location: loc}); err != nil {
			t.Fatal(err)
		}
		if got.Location() != loc || got.Hour() != 1 {
			t.Errorf("format %d: %v, want 01:00 in Berlin", format, got)
		}
		if err := r.Scan(codec.OIDTimestamptz, format, src, &got, nil); err != nil || got.Location() != time.UTC {
			t.Errorf("format %d without a location: %v, %v", format, got, err)
		}
	}
	// timestamp without time zone is never moved into the session zone.
	v, _ := r.DecodeValue(codec.OIDTimestamp, codec.BinaryFormat, be64(0), &codec.Options{Location: loc})
	if v.(time.Time).Location() != time.UTC || v.(time.Time).Hour() != 0 {
		t.Errorf("timestamp = %v", v)
	}
}

func TestIntervalText(t *testing.T) {
	tests := []struct {
		iv   codec.Interval
		text string
	}{
		{codec.Interval{}, "00:00:00"},
		{codec.Interval{Months: 12}, "1 year"},
		{codec.Interval{Months: -13}, "-1 years -1 mons"},
		{codec.Interval{Months: 1, Days: -1}, "1 mon -1 days"},
		{codec.Interval{Days: -1, Microseconds: 1}, "-1 days +00:00:00.000001"},
		{codec.Interval{Microseconds: -1}, "-00:00:00.000001"},
		{codec.Interval{Microseconds: 100 * 3600e6}, "100:00:00"},
		{codec.Interval{Months: 1, Microseconds: -3600e6}, "1 mon -01:00:00"},
		{codec.Interval{Months: -1, Microseconds: 3600e6}, "-1 mons +01:00:00"},
	}
	r := codec.NewRegistry()
	for _, tc := range tests {
		if got := tc.iv.String(); got != tc.text {
			t.Errorf("%+v prints %q, want %q", tc.iv, got, tc.text)
		}
		got, err := r.DecodeValue(codec.OIDInterval, codec.TextFormat, []byte(tc.text), nil)
		if err != nil || got != tc.iv {
			t.Errorf("%q parses to %+v, %v", tc.text, got, err)
		}
	}
	for _, bad := range []string{"", "1", "1 fortnight", "1 day 1 day 01:00:00 02:00:00", "01:60:00", "P1D", "99999999999 days"} {
		if _, err := r.DecodeValue(codec.OIDInterval, codec.TextFormat, []byte(bad), nil); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", bad, err)
		}
	}
	if d, err := (codec.Interval{Days: 1, Microseconds: 1}).Duration(); err != nil || d != 24*time.Hour+time.Microsecond {
		t.Errorf("Duration = %v, %v", d, err)
	}
}
