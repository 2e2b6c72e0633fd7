// The conversation shape: request and response over connected descriptors (README.md, Architecture). The
// scenario opens each connection and speaks the protocol: what to send next, whether the
// responses to it are complete, whether they are right. The runner owns every byte of IO: a
// blocking worker per connection (fork, pthread), a fiber per connection parked on a poller
// (fiber), or non-blocking state machines on event loops (select, poll, epoll, io_uring).
//
// `workers` is the number of connections in flight at once, whatever the runner.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "bench/api/scenario.h"
#include "bench/sys/measure.h"

namespace versus {

// One connection's side of the protocol. It never reads or writes the descriptor: the runner
// does, and hands it what arrived.
class Conversation {
 public:
  virtual ~Conversation() = default;
  // The connected socket. The conversation owns it and closes it when destroyed; the runner may
  // switch it to non-blocking and register it with a poller (and must remove it before the
  // conversation is destroyed).
  virtual int fd() const = 0;
  // Appends the next batch of requests to `out` (one request, or as many as the pipeline depth
  // allows). False when there is nothing more to ask: the conversation is over. Called again
  // only after received() said the batch's responses are complete.
  virtual bool next(std::string& out) = 0;
  // When the next batch is due, in now_ns()'s clock (CLOCK_MONOTONIC); 0 when it may go at once.
  // An open-loop conversation keeps a schedule of its own: the runner calls next() no earlier
  // than this, and as soon as the connection is free when it is late (the conversation counts
  // the latency from the due time, so the wait behind a slow reply is latency). A closed loop,
  // and a conversation that is over, say 0. The first call starts the schedule.
  virtual int64_t due_ns() { return 0; }
  // due_ns() while it is still ahead, else 0: what a runner waits for before next(). The clock is
  // read only in an open loop, so a closed loop's measured path pays nothing for it.
  int64_t wait_until_ns() {
    const int64_t due = due_ns();
    return due > 0 && due > now_ns() ? due : 0;
  }
  // Bytes that arrived, in whatever pieces the kernel gave them. True when every response to the
  // last batch has arrived. Throws on a protocol error (the worker fails); a wrong answer is
  // remembered and reported by finish() (the repetition becomes `invalid`).
  virtual bool received(std::string_view bytes) = 0;
  // Once the conversation is over: its result (responses checked, errors, ops).
  virtual void finish(WorkerResult& out) = 0;
};

// One repetition's connections, made fresh for each repetition by Scenario::make_conversations
// inside that repetition's process (where it may load data into the server, untimed).
class ConversationWork : public Work {
 public:
  // Opens connection `index` of `count`, in the process and thread that will drive it, before
  // the start line (untimed). The socket is blocking when returned.
  virtual std::unique_ptr<Conversation> open(int index, int count) = 0;
  // For a runner that brings its own client instead of calling open() (the py-* runners): hands
  // that client the checks open()'s conversations make in the scenario's shared state, and
  // returns what it needs to know (redis: host, port, username, password, loaded_s), as names
  // and values.
  virtual std::map<std::string, std::string> hand_to_own_client() { return {}; }
};

}  // namespace versus
