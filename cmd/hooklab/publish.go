package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hooklab/hooklab/delivery"
	"github.com/hooklab/hooklab/model"
)

// publishCommand publishes events from a file, as POST .../hook_events
// does: the event and its deliveries are on disk when it returns, and a
// running server delivers them within a second.
func publishCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	var project, group, file, uuid string
	fs := flag.NewFlagSet("hooklab publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&project, "project", "", "full path or ID of the project the events belong to")
	fs.StringVar(&group, "group", "", "full path or ID of the group, for group events (member, project, subgroup)")
	fs.StringVar(&file, "file", "", "JSON file with one GitLab event payload or {\"events\": [...]}; - for standard input")
	fs.StringVar(&uuid, "event-uuid", "", "publish under this X-Gitlab-Event-UUID (recursion detection applies)")
	fs.StringVar(&cfg.ExternalURL, "external-url", envOr("HOOKLAB_EXTERNAL_URL", "http://localhost:8080"), "the instance's public URL (HOOKLAB_EXTERNAL_URL)")
	dataFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if (project == "") == (group == "") {
		return usageError{"give exactly one of --project or --group"}
	}
	if file == "" {
		return usageError{"--file is required (use - for standard input)"}
	}
	var body []byte
	var err error
	if file == "-" {
		body, err = io.ReadAll(io.LimitReader(os.Stdin, model.MaxEventBody+1))
	} else {
		body, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	if len(body) > model.MaxEventBody {
		return fmt.Errorf("%s is larger than %d MiB", file, model.MaxEventBody>>20)
	}
	events, err := model.ParseEvents(body)
	if err != nil {
		return usageError{fmt.Sprintf("%s: %v", file, err)}
	}
	cfg.ExternalURL = strings.TrimSuffix(cfg.ExternalURL, "/")
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	publisher := delivery.NewPublisher(store, delivery.PublisherOptions{ExternalURL: cfg.ExternalURL})
	var projectID, groupID int64
	if project != "" {
		p, err := lookupProject(ctx, store, project)
		if err != nil {
			return err
		}
		projectID = p.ID
	} else {
		g, err := lookupGroup(ctx, store, group)
		if err != nil {
			return err
		}
		groupID = g.ID
	}
	for _, ev := range events {
		if model.IsGroupEventKind(ev.Kind) != (groupID != 0) {
			if groupID != 0 {
				return usageError{fmt.Sprintf("%s events belong to a project: use --project", ev.Kind)}
			}
			return usageError{fmt.Sprintf("%s events are group events: use --group", ev.Kind)}
		}
	}
	res, err := publisher.Publish(ctx, projectID, groupID, events, uuid)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]any{"event_uuid": res.UUID, "deliveries": res.Deliveries})
}

func lookupProject(ctx context.Context, store interface {
	ProjectByPath(context.Context, string) (*model.Project, error)
}, ref string) (*model.Project, error) {
	p, err := store.ProjectByPath(ctx, ref)
	if errors.Is(err, model.ErrNotFound) {
		return nil, fmt.Errorf("no project %q", ref)
	}
	return p, err
}

func lookupGroup(ctx context.Context, store interface {
	GroupByPath(context.Context, string) (*model.Group, error)
}, ref string) (*model.Group, error) {
	g, err := store.GroupByPath(ctx, ref)
	if errors.Is(err, model.ErrNotFound) {
		return nil, fmt.Errorf("no group %q", ref)
	}
	return g, err
}
