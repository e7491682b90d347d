package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// series is one line of the plot: a contender's median at each fleet size.
type series struct {
	label, color, dash string
	key                string // results key
}

var plotSeries = []series{
	{"terraform plan", "#1f77b4", "", "plan"},
	{"terraform plan -refresh=false", "#1f77b4", "4 3", "norefresh"},
	{"plain OpenSSH (one ssh per install)", "#d62728", "", "plain"},
	{"floor (one ssh per host)", "#2ca02c", "", "floor"},
}

// writePlot draws plan time against fleet size (both axes logarithmic) for the plotted
// scenarios as an SVG the README embeds.
func writePlot(path string, scenarios []*scenario) error {
	var points []*scenario
	for _, s := range scenarios {
		if s.plotted {
			points = append(points, s)
		}
	}
	if len(points) < 2 {
		return nil // -only left too few sizes to draw
	}
	slices.SortFunc(points, func(a, b *scenario) int { return len(a.roots) - len(b.roots) })
	const w, h, left, right, top, bottom = 720.0, 420.0, 70.0, 250.0, 30.0, 60.0
	minX, maxX := math.Log10(float64(len(points[0].roots))), math.Log10(float64(len(points[len(points)-1].roots)))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range points {
		for _, sr := range plotSeries {
			v := median(p.results[sr.key]).Seconds()
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	minY, maxY := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	x := func(n int) float64 { return left + (math.Log10(float64(n))-minX)/(maxX-minX)*(w-left-right) }
	y := func(sec float64) float64 { return h - bottom - (math.Log10(sec)-minY)/(maxY-minY)*(h-top-bottom) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for e := minY; e <= maxY; e++ {
		sec := math.Pow(10, e)
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, w-right, y(sec), y(sec), left-6, y(sec)+4, seconds(sec))
	}
	for _, p := range points {
		n := len(p.roots)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" text-anchor="middle">%d</text>`+"\n",
			x(n), x(n), top, h-bottom, x(n), h-bottom+16, n)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">installs in the fleet (hosts: %s)</text>`+"\n", (left+w-right)/2, h-bottom+38, hostCounts(points))
	fmt.Fprintf(&b, `<text x="16" y="%.0f" transform="rotate(-90 16 %.0f)" text-anchor="middle">seconds per plan (median)</text>`+"\n", (top+h-bottom)/2, (top+h-bottom)/2)
	for i, sr := range plotSeries {
		var pts []string
		for _, p := range points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(len(p.roots)), y(median(p.results[sr.key]).Seconds())))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`+"\n", sr.color, sr.dash, strings.Join(pts, " "))
		for _, pt := range pts {
			xy := strings.Split(pt, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], sr.color)
		}
		ly := top + 10 + float64(i)*20
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="%s" stroke-width="2" stroke-dasharray="%s"/><text x="%.0f" y="%.0f">%s</text>`+"\n",
			w-right+12, w-right+36, ly, ly, sr.color, sr.dash, w-right+42, ly+4, sr.label)
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644) //nolint:gosec // a picture for the README
}

func hostCounts(points []*scenario) string {
	var parts []string
	for _, p := range points {
		parts = append(parts, fmt.Sprint(len(p.hosts)))
	}
	return strings.Join(parts, ", ")
}

// seconds labels a decade of the time axis: 0.1 s, 1 s, 10 s, 100 s.
func seconds(sec float64) string {
	return strconv.FormatFloat(sec, 'f', -1, 64) + " s"
}
