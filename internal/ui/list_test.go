package ui

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestPaginate(t *testing.T) {
	rows := make([]int, 120)
	for i := range rows {
		rows[i] = i
	}
	for _, c := range []struct {
		page, wantPage, first, n, pages int
		prev, next                      bool
	}{
		{1, 1, 0, 50, 3, false, true},
		{2, 2, 50, 50, 3, true, true},
		{3, 3, 100, 20, 3, true, false},
		{9, 3, 100, 20, 3, true, false}, // past the end: the last page
		{0, 1, 0, 50, 3, false, true},
	} {
		l := parseList(url.Values{"page": {itoa(c.page)}}, "")
		got, p := paginate(l, rows)
		if p.Page != c.wantPage || len(got) != c.n || got[0] != c.first || p.Pages != c.pages || (p.Prev != "") != c.prev || (p.Next != "") != c.next {
			t.Errorf("page %d: got page %d, %d rows from %d, %d pages, prev %q next %q", c.page, p.Page, len(got), got[0], p.Pages, p.Prev, p.Next)
		}
	}
	if _, p := paginate(parseList(nil, ""), []int{}); p.Total != 0 || p.From != 0 || p.Pages != 1 {
		t.Errorf("empty list: %+v", p)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSortAndColumns(t *testing.T) {
	type r struct {
		name string
		n    int
	}
	rows := []r{{"b", 1}, {"a", 3}, {"c", 2}}
	by := map[string]func(a, b r) int{"n": func(a, b r) int { return a.n - b.n }}
	tie := func(a, b r) int { return strings.Compare(a.name, b.name) }
	l := parseList(url.Values{"sort": {"n"}, "desc": {"1"}}, "name")
	sortBy(l, rows, by, tie)
	if rows[0].name != "a" || rows[2].name != "b" {
		t.Errorf("sort by n descending: %v", rows)
	}
	cols := l.columns([]string{"Name", "N"}, []string{"name", "n"})
	if cols[1].Sort != "descending" || cols[0].Sort != "none" || !strings.Contains(cols[1].Href, "sort=n") || strings.Contains(cols[1].Href, "desc") {
		t.Errorf("columns: %+v", cols)
	}
	if !l.match() || parseList(url.Values{"q": {"WEB"}}, "").match("api", "my-web-1") == false || parseList(url.Values{"q": {"x"}}, "").match("api") {
		t.Error("filter is a case-insensitive substring of any field")
	}
}

func TestHostsOfRule(t *testing.T) {
	for rule, want := range map[string]string{
		"Host(`a.example`)":                            "a.example",
		"Host(`a.example`, `b.example`) && Path(`/x`)": "a.example b.example",
		"PathPrefix(`/api`)":                           "",
		"Host(\"q.example\") || Host(`r.example`)":     "q.example r.example",
	} {
		if got := strings.Join(hostsOfRule(rule), " "); got != want {
			t.Errorf("hostsOfRule(%s) = %q, want %q", rule, got, want)
		}
	}
}
