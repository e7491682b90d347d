package magento

import (
	"context"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// SlotNews is what the apply script says of its Composer slot on the host
// (apply_slots.sh) as it happens: who holds the slots while it waits, then that the
// slot is its own.
type SlotNews struct {
	Held    bool
	Holders []string // while waiting: "PID 123 on web1 since 2026-12-07T06:00:00Z", one per slot
}

// LineRunner is a Runner that also hands each line of stdout to line as it arrives:
// the apply's waits for a slot on the host are heard while the script runs.
// *remote.Host implements it.
type LineRunner interface {
	RunLines(ctx context.Context, label, cmd string, stdin []byte, line func(string)) (shell.Result, error)
}

// runChange runs the apply script, telling onSlot of its slot on the host. A runner
// that cannot report lines as they come is told the slot is held before the script
// starts (its wait, if any, then counts as running).
func runChange(ctx context.Context, r Runner, label, script string, stdin []byte, onSlot func(SlotNews)) (shell.Result, error) {
	lines, ok := r.(LineRunner)
	if onSlot == nil {
		return r.Run(ctx, label, script, stdin)
	}
	if !ok {
		onSlot(SlotNews{Held: true})
		return r.Run(ctx, label, script, stdin)
	}
	return lines.RunLines(ctx, label, script, stdin, func(line string) {
		if news, ok := slotNews(line); ok {
			onSlot(news)
		}
	})
}

// slotNews reads an "@slot N" or "@slot-wait PID HOST START;..." line.
func slotNews(line string) (SlotNews, bool) {
	tag, rest, _ := strings.Cut(line, " ")
	switch tag {
	case "@slot":
		return SlotNews{Held: true}, true
	case "@slot-wait":
		var news SlotNews
		for holder := range strings.SplitSeq(rest, ";") {
			if f := strings.Fields(holder); len(f) == 3 {
				news.Holders = append(news.Holders, "PID "+f[0]+" on "+f[1]+" since "+f[2])
			}
		}
		return news, true
	}
	return SlotNews{}, false
}
