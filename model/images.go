package model

import (
	"regexp"
	"strings"
)

// markdownSimpleImage is GitLab's Gitlab::HookData::BaseBuilder
// MARKDOWN_SIMPLE_IMAGE: fenced code blocks and multi-line HTML blocks are
// matched first so that images inside them are skipped, then a simple
// inline image ![title](url) whose URL does not start with http://, https://
// or //. GitLab matches the blocks at line starts (Ruby's ^ and $ are
// line anchors); (?m) gives Go the same.
var markdownSimpleImage = regexp.MustCompile("(?m)" +
	"(?P<code>^```.*?\\n(?:\\n|.)*?\\n``` *$)" +
	"|" +
	"(?P<html>^<[^>]+?> *\\n(?:\\n|.)*?\\n</[^>]+?> *$)" +
	"|" +
	`(?P<image>!\[(?P<title>[^\n]*?)\]\((?P<url>(?P<https>(?:https?://|//)?)[^\n]+?)\))`)

var (
	imageGroup = markdownSimpleImage.SubexpIndex("image")
	titleGroup = markdownSimpleImage.SubexpIndex("title")
	urlGroup   = markdownSimpleImage.SubexpIndex("url")
	httpsGroup = markdownSimpleImage.SubexpIndex("https")
)

// ProjectUploadsPrefix is the path under the external URL where a project's
// uploads live: "-/project/42".
func ProjectUploadsPrefix(projectID string) string {
	if projectID == "" {
		return ""
	}
	return "-/project/" + projectID
}

// AbsoluteImageURLs rewrites relative simple Markdown images to absolute
// URLs, as GitLab's BaseBuilder#absolute_image_urls does: a URL starting
// with "/uploads" or "uploads" is joined under uploadsPrefix, every URL gets
// a leading "/", and baseURL (the instance's external URL) goes in front.
//
//	![t](/uploads/abc/image.png) → ![t](https://hooklab.example.com/-/project/5/uploads/abc/image.png)
//	![t](foo.png)                → ![t](https://hooklab.example.com/foo.png)
//
// Images with http://, https:// or // URLs, reference-style images, and
// images inside fenced code blocks or multi-line HTML blocks are left alone.
func AbsoluteImageURLs(markdown, baseURL, uploadsPrefix string) string {
	if strings.TrimSpace(markdown) == "" {
		return markdown
	}
	matches := markdownSimpleImage.FindAllStringSubmatchIndex(markdown, -1)
	if matches == nil {
		return markdown
	}
	base := strings.TrimRight(baseURL, "/")
	var out strings.Builder
	last := 0
	for _, m := range matches {
		if m[2*imageGroup] < 0 || m[2*httpsGroup+1] > m[2*httpsGroup] {
			continue // a code or HTML block, or an absolute URL: keep as is
		}
		url := markdown[m[2*urlGroup]:m[2*urlGroup+1]]
		if strings.HasPrefix(url, "/uploads") || strings.HasPrefix(url, "uploads") {
			url = rubyFileJoin(uploadsPrefix, url)
		}
		if !strings.HasPrefix(url, "/") {
			url = "/" + url
		}
		out.WriteString(markdown[last:m[0]])
		out.WriteString("![")
		out.WriteString(markdown[m[2*titleGroup]:m[2*titleGroup+1]])
		out.WriteString("](")
		out.WriteString(base)
		out.WriteString(url)
		out.WriteString(")")
		last = m[1]
	}
	out.WriteString(markdown[last:])
	return out.String()
}

// rubyFileJoin joins like Ruby's File.join: one "/" between the parts.
func rubyFileJoin(prefix, p string) string {
	return strings.TrimRight(prefix, "/") + "/" + strings.TrimLeft(p, "/")
}

// RewriteImageURLs applies AbsoluteImageURLs to the Markdown fields GitLab
// rewrites in webhook payloads, in place:
//
//   - issue, work item and merge request: object_attributes.description;
//   - wiki page: object_attributes.content;
//   - note: a "description" key is added to object_attributes holding the
//     rewritten note (the "note" key stays raw), and the description of the
//     issue or merge request the note is on is rewritten too;
//   - emoji: the same for the awarded note, issue or merge request.
//
// Uploads are resolved under <externalURL>/-/project/<project id>, the ID
// taken from project.id, project_id or object_attributes.project_id.
// Rewriting is idempotent: absolute URLs are never touched. It reports
// whether the payload changed, so that an unchanged one can be sent as it
// arrived.
func RewriteImageURLs(p *JSONObject, externalURL string) bool {
	prefix := ProjectUploadsPrefix(payloadProjectID(p))
	changed := false
	rewrite := func(obj *JSONObject, key string) {
		if obj == nil {
			return
		}
		if s, ok := obj.values[key].(string); ok {
			if r := AbsoluteImageURLs(s, externalURL, prefix); r != s {
				obj.Set(key, r)
				changed = true
			}
		}
	}
	addNoteDescription := func(note *JSONObject) {
		if note == nil {
			return
		}
		v, _ := note.Get("note")
		if s, ok := v.(string); ok {
			v = AbsoluteImageURLs(s, externalURL, prefix)
		}
		note.Set("description", v)
		changed = true
	}
	switch p.String("object_kind") {
	case KindIssue, KindWorkItem, KindMergeRequest:
		rewrite(p.Object("object_attributes"), "description")
	case KindWikiPage:
		rewrite(p.Object("object_attributes"), "content")
	case KindNote:
		addNoteDescription(p.Object("object_attributes"))
		rewrite(p.Object("issue"), "description")
		rewrite(p.Object("merge_request"), "description")
	case KindEmoji:
		addNoteDescription(p.Object("note"))
		rewrite(p.Object("issue"), "description")
		rewrite(p.Object("merge_request"), "description")
	}
	return changed
}
