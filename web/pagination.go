package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
)

// Pagination is a list request's page and page size.
type Pagination struct {
	Page, PerPage int
}

// Paginate reads GitLab's page and per_page (per_page default 20, max 100).
func Paginate(c echo.Context) (Pagination, error) {
	return PaginateWith(c, 20, 100)
}

// PaginateWith reads page and per_page with a default and a maximum;
// malformed values are a 400, as GitLab's parameter validation answers.
func PaginateWith(c echo.Context, def, maxPer int) (Pagination, error) {
	p := Pagination{Page: 1, PerPage: def}
	if v := c.QueryParam("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, &JSONError{Status: 400, Body: map[string]string{"error": "page is invalid"}}
		}
		p.Page = model.ClampPage(n)
	}
	if v := c.QueryParam("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, &JSONError{Status: 400, Body: map[string]string{"error": "per_page is invalid"}}
		}
		p.PerPage = min(max(n, 1), maxPer)
	}
	return p, nil
}

// SetPageHeaders writes GitLab's pagination headers: X-Page, X-Per-Page,
// X-Total, X-Total-Pages, X-Next-Page, X-Prev-Page and Link.
func SetPageHeaders(c echo.Context, externalURL string, p Pagination, total int) {
	h := c.Response().Header()
	pages := max(1, (total+p.PerPage-1)/p.PerPage)
	h.Set("X-Page", strconv.Itoa(p.Page))
	h.Set("X-Per-Page", strconv.Itoa(p.PerPage))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	next, prev := "", ""
	if p.Page < pages {
		next = strconv.Itoa(p.Page + 1)
	}
	if p.Page > 1 {
		prev = strconv.Itoa(p.Page - 1)
	}
	h.Set("X-Next-Page", next)
	h.Set("X-Prev-Page", prev)
	link := func(page int, rel string) string {
		u := *c.Request().URL
		q := u.Query()
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(p.PerPage))
		q.Del("private_token")
		u.RawQuery = q.Encode()
		base, _ := url.Parse(strings.TrimSuffix(externalURL, "/"))
		if base != nil {
			u.Scheme, u.Host = base.Scheme, base.Host
		}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if prev != "" {
		links = append(links, link(p.Page-1, "prev"))
	}
	if next != "" {
		links = append(links, link(p.Page+1, "next"))
	}
	links = append(links, link(1, "first"), link(pages, "last"))
	h.Set("Link", strings.Join(links, ", "))
}

// Offset is the number of rows before the page.
func (p Pagination) Offset() int { return model.PageOffset(p.Page, p.PerPage) }
