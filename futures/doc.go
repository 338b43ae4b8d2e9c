// Package futures holds the two hand-off types between a connection actor and
// the goroutines it serves: Future, a single result delivered once, and
// Stream, a bounded flow of row batches.
//
// # Future
//
// A Future is resolved exactly once, by whoever calls Resolve first; later
// calls report false and change nothing, so an actor that fails every pending
// command on death cannot clobber a result that was already delivered. The
// result fields are written before the future is marked resolved and before
// its done channel is closed, so every reader that observes either sees the
// final value without a mutex. Any number of goroutines may Await the same
// future. When a result is ready, Await returns it even if the context has
// ended too: a caller never loses a result the server already produced.
//
// The zero Future is pending and ready to use, so a command struct can embed
// one and cost no extra allocation. A Future must not be copied after first
// use. Its done channel is made only when someone has to wait for it; a
// future resolved before anyone waits never allocates one.
//
// # Unobserved failures
//
// A future is observed once someone waits for it (Await, Done, AwaitAll)
// or reads its result (Result, once resolved). ReportUnobserved arms a
// failed future so that a function runs if it is garbage-collected
// unobserved: the library's callers use it to report a command's error
// that nobody read. Only armed futures pay for it (a runtime cleanup); on
// the awaited path, observing costs one atomic operation.
//
// # Stream
//
// A Stream carries batches of values from one producer (the actor loop) to a
// consumer (the caller's goroutine). One channel operation moves a whole
// batch, never a single row, and at most maxBatches batches are buffered, so a
// slow consumer holds the producer back instead of growing memory.
//
// The producer never blocks: TrySend reports false when the buffer is full,
// and the producer then keeps the batch and offers it again by selecting on
// In() together with Canceled() and its other work (for the actor: not
// reading the socket until there is room, which is how a slow consumer slows
// the server). Finish ends the stream with a terminal error, nil for success.
//
// The consumer reads with Next or by receiving from C, may Cancel at any time
// from any goroutine, and learns the outcome from Err. After Cancel the
// producer's batches are discarded without blocking and Canceled() is closed,
// so the producer can stop producing.
//
// Batch ownership: a batch belongs to the producer until TrySend returns true
// or a send on In() completes; from then on the producer must not touch it.
// Once received, a batch belongs to the consumer, which may hand it back with
// Recycle when it is done with every element; Recycle clears it and the
// producer gets it again from Batch. With recycling, steady-state streaming
// allocates nothing per batch.
package futures
