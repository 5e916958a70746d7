package model

import (
	"testing"
)

func TestAbsoluteImageURLsGitLabSpec(t *testing.T) {
	// spec/lib/gitlab/hook_data/base_builder_spec.rb, with url = http://localhost.
	const url = "http://localhost"
	withPrefix := []struct{ name, in, want string }{
		{"relative image URL", "![an image](foo.png)", "![an image](" + url + "/foo.png)"},
		{"absolute upload URL", "![an image](/uploads/foo.png)", "![an image](" + url + "/baz/bar/uploads/foo.png)"},
		{"absolute non-upload URL", "![an image](/downloads/foo.png)", "![an image](" + url + "/downloads/foo.png)"},
	}
	for _, tt := range withPrefix {
		t.Run("with prefix/"+tt.name, func(t *testing.T) {
			if got := AbsoluteImageURLs(tt.in, url, "baz/bar"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	withoutPrefix := []struct{ name, in, want string }{
		{"relative image URL", "![an image](foo.png)", "![an image](" + url + "/foo.png)"},
		{"absolute upload URL", "![an image](/uploads/foo.png)", "![an image](" + url + "/uploads/foo.png)"},
		{"relative upload URL", "![an image](uploads/foo.png)", "![an image](" + url + "/uploads/foo.png)"},
		{"absolute non-upload URL", "![an image](/downloads/foo.png)", "![an image](" + url + "/downloads/foo.png)"},
		{"HTTP URL", "![an image](http://example.com/foo.png)", "![an image](http://example.com/foo.png)"},
		{"HTTPS URL", "![an image](https://example.com/foo.png)", "![an image](https://example.com/foo.png)"},
		{"protocol-relative URL", "![an image](//example.com/foo.png)", "![an image](//example.com/foo.png)"},
		{"URL reference by title", "![foo]\n\n[foo]: foo.png", "![foo]\n\n[foo]: foo.png"},
		{"URL reference by label", "![][foo]\n\n[foo]: foo.png", "![][foo]\n\n[foo]: foo.png"},
		{"in Markdown inline code block", "`![an image](foo.png)`", "`![an image](" + url + "/foo.png)`"},
		{"in HTML tag on the same line", "<p>![an image](foo.png)</p>", "<p>![an image](" + url + "/foo.png)</p>"},
		{"in Markdown multi-line code block", "```\n![an image](foo.png)\n```", "```\n![an image](foo.png)\n```"},
		{"in HTML tag on different lines", "<p>\n![an image](foo.png)\n</p>", "<p>\n![an image](foo.png)\n</p>"},
	}
	for _, tt := range withoutPrefix {
		t.Run("without prefix/"+tt.name, func(t *testing.T) {
			if got := AbsoluteImageURLs(tt.in, url, ""); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAbsoluteImageURLs(t *testing.T) {
	const base = "https://hooklab.example.com"
	prefix := ProjectUploadsPrefix("123")
	tests := []struct{ name, in, want string }{
		{
			"the documented example",
			"![t](/uploads/abc/image.png)",
			"![t](https://hooklab.example.com/-/project/123/uploads/abc/image.png)",
		},
		{
			"GitLab docs example",
			"![A Markdown image with a relative URL.](/uploads/$sha/image.png)",
			"![A Markdown image with a relative URL.](https://hooklab.example.com/-/project/123/uploads/$sha/image.png)",
		},
		{"several images in text", "a ![x](/uploads/1/a.png) b ![y](https://c/d.png) c ![z](e.png)",
			"a ![x](" + base + "/-/project/123/uploads/1/a.png) b ![y](https://c/d.png) c ![z](" + base + "/e.png)"},
		{"empty title", "![](/uploads/x.png)", "![](" + base + "/-/project/123/uploads/x.png)"},
		{"code block after text keeps its image", "before\n```ruby\n![a](/uploads/x.png)\n```\nafter ![b](/uploads/y.png)",
			"before\n```ruby\n![a](/uploads/x.png)\n```\nafter ![b](" + base + "/-/project/123/uploads/y.png)"},
		{"HTML block after text keeps its image", "intro\n<details>\n![a](/uploads/x.png)\n</details>",
			"intro\n<details>\n![a](/uploads/x.png)\n</details>"},
		{"link (not image) untouched", "[doc](/uploads/x.pdf)", "[doc](/uploads/x.pdf)"},
		{"image split across lines untouched", "![a](/uploads/\nx.png)", "![a](/uploads/\nx.png)"},
		{"already absolute is idempotent", "![t](https://hooklab.example.com/-/project/123/uploads/abc/image.png)",
			"![t](https://hooklab.example.com/-/project/123/uploads/abc/image.png)"},
		{"blank", "   ", "   "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AbsoluteImageURLs(tt.in, base+"/", prefix); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRewriteImageURLs(t *testing.T) {
	const ext = "https://hooklab.example.com"
	const img = "see ![s](/uploads/abc/s.png)"
	const abs = "see ![s](https://hooklab.example.com/-/project/5/uploads/abc/s.png)"
	tests := []struct {
		name    string
		payload string
		path    []string
		want    any
	}{
		{"issue description", `{"object_kind":"issue","project":{"id":5},"object_attributes":{"description":"` + img + `"}}`,
			[]string{"object_attributes", "description"}, abs},
		{"merge request description", `{"object_kind":"merge_request","project":{"id":5},"object_attributes":{"description":"` + img + `"}}`,
			[]string{"object_attributes", "description"}, abs},
		{"wiki content", `{"object_kind":"wiki_page","project":{"id":5},"object_attributes":{"content":"` + img + `"}}`,
			[]string{"object_attributes", "content"}, abs},
		{"note gets a description", `{"object_kind":"note","project_id":5,"object_attributes":{"note":"` + img + `"}}`,
			[]string{"object_attributes", "description"}, abs},
		{"note itself stays raw", `{"object_kind":"note","project_id":5,"object_attributes":{"note":"` + img + `"}}`,
			[]string{"object_attributes", "note"}, img},
		{"note's issue description", `{"object_kind":"note","project_id":5,"object_attributes":{"note":"x"},"issue":{"description":"` + img + `"}}`,
			[]string{"issue", "description"}, abs},
		{"note with null note", `{"object_kind":"note","project_id":5,"object_attributes":{"note":null}}`,
			[]string{"object_attributes", "description"}, nil},
		{"emoji's note", `{"object_kind":"emoji","project_id":5,"note":{"note":"` + img + `"}}`,
			[]string{"note", "description"}, abs},
		{"project id from object_attributes", `{"object_kind":"issue","object_attributes":{"project_id":5,"description":"` + img + `"}}`,
			[]string{"object_attributes", "description"}, abs},
		{"push untouched", `{"object_kind":"push","project":{"id":5},"commits":[{"message":"` + img + `"}],"description":"` + img + `"}`,
			[]string{"description"}, img},
		{"issue title untouched", `{"object_kind":"issue","project":{"id":5},"object_attributes":{"title":"` + img + `"}}`,
			[]string{"object_attributes", "title"}, img},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPayload(t, tt.payload)
			RewriteImageURLs(p, ext)
			got, ok := p.Lookup(tt.path...)
			if !ok {
				t.Fatalf("%v missing after rewrite", tt.path)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}

	t.Run("keeps key order and adds description last", func(t *testing.T) {
		p := mustPayload(t, `{"object_kind":"note","project_id":5,"object_attributes":{"note":"x","url":"u"},"z":1}`)
		RewriteImageURLs(p, ext)
		got, _ := EncodeJSON(p)
		want := `{"object_kind":"note","project_id":5,"object_attributes":{"note":"x","url":"u","description":"x"},"z":1}`
		if string(got) != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}
