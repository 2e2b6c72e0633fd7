// What the runners share to drive conversations (bench/api/conversation.h): the byte-moving loops
// of a worker that owns one connection, and the adapters that run connections as the workers
// of a task (fork, pthread, fiber: one worker per connection) or as the loops of a few threads
// (select, poll, epoll, io_uring: many connections per loop).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/api/conversation.h"
#include "bench/api/runner.h"

namespace versus {

// fork, pthread, fiber: each connection is one worker of `runner`'s task shape. The worker
// blocks on its own connection, or, where its context is cooperative (a fiber), uses it
// non-blocking and waits through WorkerContext::wait_for.
RunOutcome run_conversations_as_workers(const Runner& runner, ConversationWork& work, const Cell& cell);

// One event loop's connections, driven until every conversation is over. Throws on an IO error
// or a protocol error; results are written by the caller once the loop returns.
using LoopBody = std::function<void(std::span<Conversation* const> conversations)>;

// select, poll, epoll, io_uring: the connections are spread round-robin over `loops` threads
// (connection i on loop i mod loops), each opening its own and then running `body` over them.
// Results come back one per connection.
RunOutcome run_conversations_on_loops(ConversationWork& work, const Cell& cell, int loops, const LoopBody& body);

// The peer hung up before a conversation's responses were complete.
[[noreturn]] void throw_peer_closed(int fd);

}  // namespace versus
