package ui

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// pageSize is how many rows a list shows at once.
const pageSize = 50

// listQuery is a list's filter, sort and page from the URL.
type listQuery struct {
	Filter string
	Sort   string
	Desc   bool
	Page   int
	vals   url.Values
}

func parseList(q url.Values, defSort string) listQuery {
	l := listQuery{Filter: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort"), Desc: q.Get("desc") == "1", vals: q}
	if l.Sort == "" {
		l.Sort = defSort
	}
	l.Page, _ = strconv.Atoi(q.Get("page"))
	l.Page = max(l.Page, 1)
	return l
}

// match says whether any of fields contains the filter, case-insensitively.
func (l listQuery) match(fields ...string) bool {
	if l.Filter == "" {
		return true
	}
	f := strings.ToLower(l.Filter)
	for _, s := range fields {
		if strings.Contains(strings.ToLower(s), f) {
			return true
		}
	}
	return false
}

// with is the list's query string with key set to val (page reset to 1
// unless key is page).
func (l listQuery) with(key, val string) string {
	v := url.Values{}
	for k, vs := range l.vals {
		if k != "index" && k != "wait" {
			v[k] = vs
		}
	}
	if key != "page" {
		v.Del("page")
	}
	if val == "" {
		v.Del(key)
	} else {
		v.Set(key, val)
	}
	return "?" + v.Encode()
}

// column is a sortable column header: its label, its link and its state.
type column struct {
	Label string
	Href  string
	Sort  string // "ascending", "descending" or "none" (aria-sort)
}

// columns builds the headers of a list sortable by keys (key "" is not
// sortable).
func (l listQuery) columns(labels, keys []string) []column {
	out := make([]column, len(labels))
	for i, lab := range labels {
		c := column{Label: lab, Sort: "none"}
		if k := keys[i]; k != "" {
			desc := ""
			if l.Sort == k {
				if l.Desc {
					c.Sort = "descending"
				} else {
					c.Sort, desc = "ascending", "1"
				}
			}
			v := url.Values{}
			for kk, vs := range l.vals {
				if kk != "index" && kk != "wait" && kk != "page" {
					v[kk] = vs
				}
			}
			v.Set("sort", k)
			if desc == "" {
				v.Del("desc")
			} else {
				v.Set("desc", desc)
			}
			c.Href = "?" + v.Encode()
		}
		out[i] = c
	}
	return out
}

// sortBy sorts rows by the comparison named by the list's sort key (the
// first key when unknown), then by tie, honouring Desc.
func sortBy[T any](l listQuery, rows []T, by map[string]func(a, b T) int, tie func(a, b T) int) {
	f, ok := by[l.Sort]
	if !ok {
		f = tie
	}
	slices.SortStableFunc(rows, func(a, b T) int {
		c := cmp.Or(f(a, b), tie(a, b))
		if l.Desc {
			return -c
		}
		return c
	})
}

// pager is one page of a list.
type pager struct {
	Page, Pages, Total, From, To int
	Prev, Next                   string
}

// paginate cuts rows to the list's page.
func paginate[T any](l listQuery, rows []T) ([]T, pager) {
	p := pager{Total: len(rows), Pages: max(1, (len(rows)+pageSize-1)/pageSize)}
	p.Page = min(l.Page, p.Pages)
	from := (p.Page - 1) * pageSize
	to := min(from+pageSize, len(rows))
	p.From, p.To = from+1, to
	if len(rows) == 0 {
		p.From = 0
	}
	if p.Page > 1 {
		p.Prev = l.with("page", strconv.Itoa(p.Page-1))
	}
	if p.Page < p.Pages {
		p.Next = l.with("page", strconv.Itoa(p.Page+1))
	}
	return rows[from:to], p
}
