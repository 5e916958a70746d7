package model

// MaxPage bounds the page number of every list. Page × per_page then stays
// far inside 64 bits (and SQL's OFFSET), so a page asked for past any
// list's end is an empty page instead of an overflowing offset.
const MaxPage = 1<<31 - 1

// ClampPage bounds a requested page number to 1…MaxPage.
func ClampPage(n int) int { return min(max(n, 1), MaxPage) }

// PageOffset is the number of rows before page n of perPage rows each,
// without overflow whatever the inputs.
func PageOffset(page, perPage int) int {
	return (ClampPage(page) - 1) * min(max(perPage, 0), MaxPage)
}
