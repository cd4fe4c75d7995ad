// Package websub tells a WebSub hub (W3C Recommendation; "publish" as
// hubs implement it: a form POST with hub.mode=publish and hub.url) that
// feeds changed, from a goroutine of its own so no collection waits for
// the hub. It imports nothing of ours.
package websub
