package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// A chart is drawn on the server as inline SVG: no JS chart library, and it
// shows with JS off. Text in it goes through html/template like any other.

type chart struct {
	Title  string
	Width  int
	Height int
	Lines  []chartLine
	YTicks []chartTick
	XTicks []chartTick
	Empty  bool
}

type chartLine struct {
	Label  string
	Points string // SVG polyline points, already numeric
	Color  string
}

type chartTick struct {
	Pos   float64
	Label string
}

var chartColors = []string{"#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#4e342e"}

const (
	chartW, chartH         = 900, 240
	padL, padR, padT, padB = 60, 10, 10, 30
)

// buildChart draws one measure (lag or checkpoint age) of every series.
func buildChart(title string, series []store.Series, pick func(store.Sample) *int64, from, to time.Time) chart {
	c := chart{Title: title, Width: chartW, Height: chartH}
	var max int64 = 60
	for _, s := range series {
		for _, smp := range s.Samples {
			if v := pick(smp); v != nil && *v > max {
				max = *v
			}
		}
	}
	span := to.Sub(from).Seconds()
	if span <= 0 {
		span = 1
	}
	x := func(t time.Time) float64 { return padL + (chartW-padL-padR)*t.Sub(from).Seconds()/span }
	y := func(v int64) float64 { return padT + (chartH-padT-padB)*(1-float64(v)/float64(max)) }
	for i, s := range series {
		var pts []string
		for _, smp := range s.Samples {
			if v := pick(smp); v != nil {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(smp.At), y(*v)))
			}
		}
		if len(pts) == 0 {
			continue
		}
		c.Lines = append(c.Lines, chartLine{Label: strings.TrimSpace(s.Program + " " + s.Group), Points: strings.Join(pts, " "),
			Color: chartColors[i%len(chartColors)]})
	}
	c.Empty = len(c.Lines) == 0
	for i := 0; i <= 4; i++ {
		v := max * int64(i) / 4
		c.YTicks = append(c.YTicks, chartTick{Pos: y(v), Label: monitor.FormatSeconds(v)})
	}
	layout := "15:04"
	if to.Sub(from) > 36*time.Hour {
		layout = "01-02"
	}
	for i := 0; i <= 4; i++ {
		t := from.Add(time.Duration(float64(to.Sub(from)) * float64(i) / 4))
		c.XTicks = append(c.XTicks, chartTick{Pos: x(t), Label: t.UTC().Format(layout)})
	}
	return c
}
