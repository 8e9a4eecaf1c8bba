package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// dataQuery is /api/v1/data's parameters, parsed.
type dataQuery struct {
	q       tsdb.Query
	format  string
	options map[string]bool
	rawOpts string
}

var dataFormats = []string{"json", "csv", "tsv", "array", "ssv", "ssvcomma"}

// parseData reads /api/v1/data's parameters; after and before at or below
// zero are relative (after to before, before to the chart's last sample),
// as Netdata's are: after=-60 is the last 60 seconds.
func parseData(v url.Values, in tsdb.Info) (dataQuery, error) {
	d := dataQuery{format: v.Get("format"), options: map[string]bool{}, rawOpts: v.Get("options")}
	if d.format == "" {
		d.format = "json"
	}
	if !slices.Contains(dataFormats, d.format) {
		return d, httpkit.BadRequest("format %q: want one of %s", d.format, strings.Join(dataFormats, ", "))
	}
	for _, o := range strings.FieldsFunc(d.rawOpts, func(r rune) bool { return r == ',' || r == '|' || r == ' ' }) {
		d.options[o] = true
	}
	num := func(name string, def int64) (int64, error) {
		s := v.Get(name)
		if s == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, httpkit.BadRequest("%s %q: want an integer", name, s)
		}
		return n, nil
	}
	after, err := num("after", -600)
	if err != nil {
		return d, err
	}
	before, err := num("before", 0)
	if err != nil {
		return d, err
	}
	points, err := num("points", 0)
	if err != nil {
		return d, err
	}
	if points < 0 || points > 100000 {
		return d, httpkit.BadRequest("points %d: want between 0 and 100000", points)
	}
	if before <= 0 {
		before += in.Last
	}
	if after == 0 {
		after = -600
	}
	if after < 0 {
		after += before + 1 // after=-60: the last 60 seconds
	}
	if after > before {
		after, before = before, after
	}
	d.q = tsdb.Query{Chart: in.ID, After: after, Before: before, Points: int(points), Group: v.Get("group"),
		Anomaly: d.options["anomaly-bit"]}
	if d.q.Group != "" && !slices.Contains(tsdb.Groupings, d.q.Group) {
		return d, httpkit.BadRequest("group %q: want one of %s", d.q.Group, strings.Join(tsdb.Groupings, ", "))
	}
	dims := v.Get("dimensions")
	if dims == "" {
		dims = v.Get("dimension")
	}
	if dims != "" {
		d.q.Dims = strings.FieldsFunc(dims, func(r rune) bool { return r == ',' || r == '|' })
	}
	return d, nil
}

func (s *Server) data(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	id := v.Get("chart")
	if id == "" {
		return httpkit.BadRequest("No chart or context is given.")
	}
	db := s.target(r).db
	in, err := db.ChartInfo(id)
	if errors.Is(err, tsdb.ErrNoChart) {
		return httpkit.Errorf(http.StatusNotFound, "Chart is not found: %s", id)
	}
	d, err := parseData(v, in)
	if err != nil {
		return err
	}
	res, err := db.Query(d.q)
	if err != nil {
		return httpkit.BadRequest("%s", err.Error())
	}
	applyOptions(&res, d.options)
	body := formatResult(res, d)
	if d.options["jsonwrap"] {
		body = wrap(res, d, body)
	}
	h := w.Header()
	if d.format == "json" || d.options["jsonwrap"] || d.format == "array" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	_, err = w.Write(body)
	return err
}

// applyOptions applies the value options: abs, null2zero, percentage,
// nonzero.
func applyOptions(res *tsdb.Result, o map[string]bool) {
	if o["nonzero"] {
		keep := make([]bool, len(res.Dims))
		for _, row := range res.Rows {
			for i, x := range row.V {
				if x != 0 && !math.IsNaN(x) {
					keep[i] = true
				}
			}
		}
		var dims []tsdb.Dim
		for i, d := range res.Dims {
			if keep[i] {
				dims = append(dims, d)
			}
		}
		if len(dims) > 0 {
			for r := range res.Rows {
				var v []float64
				for i, x := range res.Rows[r].V {
					if keep[i] {
						v = append(v, x)
					}
				}
				res.Rows[r].V = v
			}
			res.Dims = dims
		}
	}
	for _, row := range res.Rows {
		total := 0.0
		for _, x := range row.V {
			if !math.IsNaN(x) {
				total += math.Abs(x)
			}
		}
		for i, x := range row.V {
			switch {
			case math.IsNaN(x) && o["null2zero"]:
				x = 0
			case math.IsNaN(x):
			case o["percentage"] && total > 0:
				x = math.Abs(x) / total * 100
			case o["abs"] || o["absolute"]:
				x = math.Abs(x)
			}
			row.V[i] = x
		}
	}
}

func fmtNum(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	x = math.Round(x*1e7) / 1e7
	return strconv.AppendFloat(b, x, 'f', -1, 64)
}

func fmtTime(b []byte, t int64, o map[string]bool, csv bool) []byte {
	switch {
	case o["ms"] || o["milliseconds"]:
		return strconv.AppendInt(b, t*1000, 10)
	case csv && !o["seconds"]:
		return time.Unix(t, 0).UTC().AppendFormat(b, "2006-01-02 15:04:05")
	}
	return strconv.AppendInt(b, t, 10)
}

// rows returns the rows in the asked order: newest first, oldest first
// with flip.
func rows(res tsdb.Result, o map[string]bool) []tsdb.Row {
	if !o["flip"] {
		return res.Rows
	}
	out := slices.Clone(res.Rows)
	slices.Reverse(out)
	return out
}

// formatResult writes the rows as Netdata does: json {"labels","data"}
// with time first, csv/tsv/ssv with a header, array as each row's sum.
func formatResult(res tsdb.Result, d dataQuery) []byte {
	var b []byte
	switch d.format {
	case "array":
		b = append(b, '[')
		for i, row := range rows(res, d.options) {
			if i > 0 {
				b = append(b, ',')
			}
			sum, any := 0.0, false
			for _, x := range row.V {
				if !math.IsNaN(x) {
					sum, any = sum+x, true
				}
			}
			if !any {
				sum = math.NaN()
			}
			b = fmtNum(b, sum)
		}
		return append(b, ']')
	case "ssv", "ssvcomma":
		sep := byte(' ')
		if d.format == "ssvcomma" {
			sep = ','
		}
		for i, row := range rows(res, d.options) {
			if i > 0 {
				b = append(b, sep)
			}
			sum := 0.0
			for _, x := range row.V {
				if !math.IsNaN(x) {
					sum += x
				}
			}
			b = fmtNum(b, sum)
		}
		return b
	case "csv", "tsv":
		sep := byte(',')
		if d.format == "tsv" {
			sep = '\t'
		}
		b = append(b, "time"...)
		for _, dim := range res.Dims {
			b = append(append(b, sep), dim.Name...)
		}
		b = append(b, "\r\n"...)
		for _, row := range rows(res, d.options) {
			b = fmtTime(b, row.T, d.options, true)
			for _, x := range row.V {
				b = fmtNum(append(b, sep), x)
			}
			b = append(b, "\r\n"...)
		}
		return b
	}
	b = append(b, "{\n \"labels\": [\"time\""...)
	for _, dim := range res.Dims {
		b = strconv.AppendQuote(append(b, ','), dim.Name)
	}
	b = append(b, "],\n    \"data\":\n ["...)
	for i, row := range rows(res, d.options) {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmtTime(append(b, "\n [ "...), row.T, d.options, false)
		for _, x := range row.V {
			b = fmtNum(append(b, ','), x)
		}
		b = append(b, ']')
	}
	return append(b, "\n]\n}"...)
}

// wrap puts a result in Netdata's jsonwrap envelope.
func wrap(res tsdb.Result, d dataQuery, body []byte) []byte {
	var b bytes.Buffer
	q := func(s string) string { return strconv.Quote(s) }
	strs := func(f func(tsdb.Dim) string) string {
		parts := make([]string, len(res.Dims))
		for i, dim := range res.Dims {
			parts[i] = q(f(dim))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	nums := func(v []float64) string {
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = string(fmtNum(nil, x))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	latest := make([]float64, len(res.Dims))
	for i := range latest {
		latest[i] = math.NaN()
	}
	if len(res.Rows) > 0 {
		copy(latest, res.Rows[0].V)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range res.Rows {
		for _, x := range row.V {
			if !math.IsNaN(x) {
				lo, hi = min(lo, x), max(hi, x)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 0
	}
	group := d.q.Group
	if group == "" {
		group = "average"
	}
	fmt.Fprintf(&b, "{\n   \"api\": 1,\n   \"id\": %s,\n   \"name\": %s,\n", q(res.ID), q(res.ID))
	fmt.Fprintf(&b, "   \"view_update_every\": %d,\n   \"update_every\": 1,\n", res.Group)
	fmt.Fprintf(&b, "   \"first_entry\": %d,\n   \"last_entry\": %d,\n", res.First, res.Last)
	fmt.Fprintf(&b, "   \"before\": %d,\n   \"after\": %d,\n", res.Before, res.After)
	fmt.Fprintf(&b, "   \"group\": %s,\n   \"options\": %s,\n", q(group), q(d.rawOpts))
	fmt.Fprintf(&b, "   \"dimension_names\": %s,\n   \"dimension_ids\": %s,\n", strs(func(d tsdb.Dim) string { return d.Name }),
		strs(func(d tsdb.Dim) string { return d.ID }))
	fmt.Fprintf(&b, "   \"functions\": [],\n   \"latest_values\": %s,\n   \"view_latest_values\": %s,\n", nums(latest), nums(latest))
	fmt.Fprintf(&b, "   \"dimensions\": %d,\n   \"points\": %d,\n   \"format\": %s,\n", len(res.Dims), len(res.Rows), q(d.format))
	fmt.Fprintf(&b, "   \"db_points_per_tier\": [ %d ],\n   \"result\": ", len(res.Rows)*len(res.Dims))
	if d.format == "json" || d.format == "array" {
		b.Write(body)
	} else {
		b.WriteString(q(string(body)))
	}
	fmt.Fprintf(&b, ",\n \"min\": %s,\n \"max\": %s\n}", fmtNum(nil, lo), fmtNum(nil, hi))
	return b.Bytes()
}
