package scheduler_test

import (
	"fmt"
	"time"

	"github.com/heraldfeed/herald/internal/scheduler"
)

func ExampleParse() {
	from := time.Date(2026, time.January, 15, 0, 0, 0, 0, time.UTC)
	for _, spec := range []string{"0 6 * * *", "CRON_TZ=Europe/Paris 0 6 * * *", "@every 15m"} {
		sched, err := scheduler.Parse(spec)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-32s next %s\n", spec, sched.Next(from).UTC().Format(time.RFC3339))
	}
	_, err := scheduler.Parse("61 * * * *")
	fmt.Println(err)
	// Output:
	// 0 6 * * *                        next 2026-01-15T06:00:00Z
	// CRON_TZ=Europe/Paris 0 6 * * *   next 2026-01-15T05:00:00Z
	// @every 15m                       next 2026-01-15T00:15:00Z
	// parsing schedule "61 * * * *": end of range (61) above maximum (59): 61
}

func ExampleInterval() {
	d, err := scheduler.Interval("*/20 * * * *", time.Date(2026, time.January, 15, 0, 7, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("max-age=%d\n", int(d.Seconds()))
	// Output: max-age=1200
}
