package pgotel

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/pgactor/pgactor/session"
)

// Quantiles of the command wait reported by pgactor.pool.command.wait_time.
var waitQuantiles = []float64{0.5, 0.9, 0.99}

// RegisterPoolMetrics reports p's Stats as OpenTelemetry instruments, read
// when the meter provider collects:
//
//   - db.client.connection.count {state=idle|used}, db.client.connection.max
//   - pgactor.pool.connections.pinned
//   - pgactor.pool.connections.opened {reason}, pgactor.pool.connections.closed
//     {reason}, pgactor.pool.connections.open_failed
//   - pgactor.pool.commands, pgactor.pool.commands.rerouted,
//     pgactor.pool.commands.canceled, pgactor.pool.cancel_requests, pgactor.pool.batches
//   - pgactor.pool.command.wait_time {quantile}: seconds commands waited to
//     be handed to a connection (an upper bound within a factor of two)
//   - pgactor.pool.acquire.wait_time: seconds spent in Begin and Acquire
//
// Every instrument carries db.client.connection.pool.name. Unregister the
// returned registration before closing the pool.
func RegisterPoolMetrics(p *session.Pool, o Options) (metric.Registration, error) {
	mp := o.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	name := o.PoolName
	if name == "" {
		name = "pgactor"
	}
	m := mp.Meter(scope)
	pool := attribute.String("db.client.connection.pool.name", name)

	var errs []error
	upDown := func(n, unit, desc string) metric.Int64ObservableUpDownCounter {
		i, err := m.Int64ObservableUpDownCounter(n, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	counter := func(n, unit, desc string) metric.Int64ObservableCounter {
		i, err := m.Int64ObservableCounter(n, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	conns := upDown("db.client.connection.count", "{connection}", "Connections by state: idle (nothing in flight, not pinned) or used.")
	maxConns := upDown("db.client.connection.max", "{connection}", "The most connections the pool opens.")
	pinned := upDown("pgactor.pool.connections.pinned", "{connection}", "Connections held by Begin or Acquire.")
	opened := counter("pgactor.pool.connections.opened", "{connection}", "Connections opened, by reason.")
	closed := counter("pgactor.pool.connections.closed", "{connection}", "Connections closed, by reason.")
	failed := counter("pgactor.pool.connections.open_failed", "{attempt}", "Failed attempts to open a connection.")
	commands := counter("pgactor.pool.commands", "{command}", "Commands handed to the pool's connections.")
	rerouted := counter("pgactor.pool.commands.rerouted", "{command}", "Multiplexed commands sent again on another connection.")
	canceled := counter("pgactor.pool.commands.canceled", "{command}", "Commands ended by their context.")
	cancelsSent := counter("pgactor.pool.cancel_requests", "{request}", "Cancel requests sent to the server.")
	batches := counter("pgactor.pool.batches", "{batch}", "Batches sent.")
	wait, err := m.Float64ObservableGauge("pgactor.pool.command.wait_time", metric.WithUnit("s"),
		metric.WithDescription("How long commands waited to be handed to a connection, by quantile (an upper bound within a factor of two)."))
	errs = append(errs, err)
	acquireWait, err := m.Float64ObservableCounter("pgactor.pool.acquire.wait_time", metric.WithUnit("s"),
		metric.WithDescription("Total time spent waiting in Begin and Acquire."))
	errs = append(errs, err)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	with := func(kv ...attribute.KeyValue) metric.ObserveOption {
		return metric.WithAttributes(append([]attribute.KeyValue{pool}, kv...)...)
	}
	reason := func(r string) metric.ObserveOption { return with(attribute.String("reason", r)) }
	return m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		st := p.Stats()
		obs.ObserveInt64(conns, int64(st.IdleConns), with(attribute.String("db.client.connection.state", "idle")))
		obs.ObserveInt64(conns, int64(st.TotalConns-st.IdleConns), with(attribute.String("db.client.connection.state", "used")))
		obs.ObserveInt64(maxConns, int64(st.MaxConns), with())
		obs.ObserveInt64(pinned, int64(st.PinnedConns), with())
		obs.ObserveInt64(opened, st.Opened.Min, reason("min"))
		obs.ObserveInt64(opened, st.Opened.Grow, reason("grow"))
		obs.ObserveInt64(opened, st.Opened.Demand, reason("demand"))
		obs.ObserveInt64(closed, st.Closed.Dead, reason("dead"))
		obs.ObserveInt64(closed, st.Closed.Lifetime, reason("lifetime"))
		obs.ObserveInt64(closed, st.Closed.Idle, reason("idle"))
		obs.ObserveInt64(closed, st.Closed.Refused, reason("refused"))
		obs.ObserveInt64(closed, st.Closed.AfterRelease, reason("after_release"))
		obs.ObserveInt64(closed, st.Closed.PoolClosed, reason("pool_closed"))
		obs.ObserveInt64(failed, st.OpenFailed, with())
		obs.ObserveInt64(commands, st.Commands, with())
		obs.ObserveInt64(rerouted, st.Rerouted, with())
		obs.ObserveInt64(canceled, st.Canceled, with())
		obs.ObserveInt64(cancelsSent, st.CancelsSent, with())
		obs.ObserveInt64(batches, st.Batches, with())
		if st.Commands > 0 {
			for _, q := range waitQuantiles {
				obs.ObserveFloat64(wait, st.WaitPercentile(q).Seconds(), with(attribute.Float64("quantile", q)))
			}
		}
		obs.ObserveFloat64(acquireWait, st.AcquireWait.Seconds(), with())
		return nil
	}, conns, maxConns, pinned, opened, closed, failed, commands, rerouted, canceled, cancelsSent, batches, wait, acquireWait)
}
