package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// chartDays is how many days the overview's charts show.
const chartDays = 30

// palette colours the series of a chart: readable on white, told apart
// without colour too (each bar has a title, the legend a table).
var palette = []string{"#1d4ed8", "#b91c1c", "#a16207", "#047857", "#7c3aed", "#be185d", "#0e7490", "#4b5563"}

type series struct {
	Name   string
	Colour string
	Total  int64
	byDay  []int64
}

// chart is a stacked bar chart of daily counts, drawn as SVG on the server.
type chart struct {
	Title  string
	SVG    template.HTML
	Series []series
	Total  int64
}

// newChart draws the counts of days starting at first, one series per name.
func newChart(title string, first time.Time, counts map[string][]int64) chart {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.Sort(names)
	ch := chart{Title: title}
	var peak int64 = 1
	day := make([]int64, chartDays)
	for i, n := range names {
		s := series{Name: n, Colour: palette[i%len(palette)], byDay: counts[n]}
		for d, v := range s.byDay {
			s.Total += v
			day[d] += v
		}
		ch.Total += s.Total
		ch.Series = append(ch.Series, s)
	}
	for _, v := range day {
		peak = max(peak, v)
	}
	const w, h, left, bottom, top = 640, 180, 36, 22, 8
	bw := float64(w-left) / chartDays
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s: %d in %d days" class="chart">`, w, h, template.HTMLEscapeString(title), ch.Total, chartDays)
	plotH := float64(h - bottom - top)
	ticks := []int64{0, peak}
	if peak >= 4 {
		ticks = []int64{0, peak / 2, peak}
	}
	for _, v := range ticks {
		y := float64(top) + plotH*(1-float64(v)/float64(peak))
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, left, w, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="axis" text-anchor="end">%d</text>`, left-4, y+4, v)
	}
	for d := range chartDays {
		x := float64(left) + float64(d)*bw
		y := float64(top) + plotH
		date := first.AddDate(0, 0, d)
		for _, s := range ch.Series {
			v := s.byDay[d]
			if v == 0 {
				continue
			}
			bh := plotH * float64(v) / float64(peak)
			y -= bh
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %d</title></rect>`,
				x+1, y, bw-2, bh, s.Colour, date.Format("Jan 2"), template.HTMLEscapeString(s.Name), v)
		}
		if (chartDays-1-d)%7 == 0 {
			anchor, lx := "middle", x+bw/2
			if d == chartDays-1 {
				anchor, lx = "end", x+bw
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="axis" text-anchor="%s">%s</text>`, lx, h-6, anchor, date.Format("Jan 2"))
		}
	}
	b.WriteString(`</svg>`)
	ch.SVG = template.HTML(b.String())
	return ch
}

// keyAlert is a key close to its expiry or its last use.
type keyAlert struct {
	Key  store.Key
	Why  string
	Left string
}

func (c *Console) handleOverview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, now := r.Context(), c.now()
	states, err := c.st.DeviceStates(ctx, now.Add(-c.cfg.SilentAfter))
	if err != nil {
		c.unavailable(w, r, s, "count devices", err)
		return
	}
	first := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(chartDays - 1))
	daily, err := c.dailyEvents(ctx, first, now)
	if err != nil {
		c.unavailable(w, r, s, "count audit", err)
		return
	}
	enrolled, rejected := map[string][]int64{}, map[string][]int64{}
	for _, dc := range daily {
		d := int(dc.Day.Sub(first) / (24 * time.Hour))
		if d < 0 || d >= chartDays {
			continue
		}
		m, name := enrolled, "new device"
		switch dc.Event {
		case "clone_enrolled":
			name = "clone enrolled"
		case "enroll_rejected":
			m, name = rejected, strings.ReplaceAll(dc.Reason, "_", " ")
			if name == "" {
				name = "other"
			}
		}
		if m[name] == nil {
			m[name] = make([]int64, chartDays)
		}
		m[name][d] += dc.Count
	}
	backlog, err := c.st.OutboxDepth(ctx)
	if err != nil {
		c.unavailable(w, r, s, "count outbox", err)
		return
	}
	last, err := c.st.LastRelay(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.unavailable(w, r, s, "read last relay", err)
		return
	}
	data := map[string]any{
		"States": []struct {
			Name, Label string
			N           int64
		}{
			{store.StateActive, "Active", states[store.StateActive]},
			{store.StateSilent, "Silent", states[store.StateSilent]},
			{store.StateCloneSuspected, "Clone suspected", states[store.StateCloneSuspected]},
			{store.StateQuarantined, "Quarantined clones", states[store.StateQuarantined]},
			{store.StateRevoked, "Revoked", states[store.StateRevoked]},
			{store.StateRetired, "Retired", states[store.StateRetired]},
		},
		"Enrolled":    newChart("Enrollments per day", first, enrolled),
		"Rejected":    newChart("Rejected enrollments per day, by reason", first, rejected),
		"Backlog":     backlog,
		"Last":        last,
		"SilentAfter": span(c.cfg.SilentAfter),
	}
	if last != nil {
		data["Healthy"] = last.Status == store.RelayOK || last.Status == store.RelayNone
	}
	if allowed(s.user.Role, permKeys) {
		keys, err := c.st.Keys(ctx)
		if err != nil {
			c.unavailable(w, r, s, "list keys", err)
			return
		}
		var alerts []keyAlert
		for _, k := range keys {
			if k.State(now) != store.KeyValid {
				continue
			}
			if !k.ExpiresAt.IsZero() && k.ExpiresAt.Sub(now) < 7*24*time.Hour {
				alerts = append(alerts, keyAlert{k, "expires", "in " + span(k.ExpiresAt.Sub(now))})
			} else if k.MaxUses > 0 && k.Uses*10 >= k.MaxUses*9 {
				alerts = append(alerts, keyAlert{k, "uses", fmt.Sprintf("%d of %d uses left", k.MaxUses-k.Uses, k.MaxUses)})
			}
		}
		data["KeyAlerts"] = alerts
	}
	c.render(w, r, s, http.StatusOK, "overview", data)
}

// dailyEvents returns the counts the overview's charts draw.
func (c *Console) dailyEvents(ctx context.Context, first, now time.Time) ([]store.DayCount, error) {
	return c.st.DailyEvents(ctx, first, now, "enroll_succeeded", "clone_enrolled", "enroll_rejected")
}
