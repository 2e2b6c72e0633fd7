// queue: a bounded queue of message slots in shared memory under a process-shared mutex and two
// condition variables: the locked queue of multiprocessing.Queue and queue.Queue, to set against
// pipe and shm. Any number of producers and consumers may use one; a pair uses one per direction.
#include <pthread.h>

#include <cstring>
#include <memory>

#include "bench/sys/shared_mapping.h"
#include "scenarios/ipc/channel.h"

namespace versus::ipc {

namespace {

constexpr uint32_t kSlots = 8;

struct QueueState {
  pthread_mutex_t mutex;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  uint32_t head = 0;  // next slot to read
  uint32_t count = 0;
};

void check(int err, const char* call) {
  if (err != 0) {
    errno = err;
    throw_errno(call);
  }
}

class LockedQueue {
 public:
  explicit LockedQueue(size_t slot_size) : slot_size_(slot_size), mapping_(sizeof(QueueState) + kSlots * slot_size) {
    QueueState* q = state();
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    check(pthread_mutex_init(&q->mutex, &ma), "pthread_mutex_init");
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    check(pthread_cond_init(&q->not_empty, &ca), "pthread_cond_init");
    check(pthread_cond_init(&q->not_full, &ca), "pthread_cond_init");
    pthread_condattr_destroy(&ca);
  }

  void put(const std::byte* data, size_t n, WorkerContext& ctx, bool cooperative) {
    QueueState* q = state();
    lock(q, ctx, cooperative);
    while (q->count == kSlots) {
      if (cooperative) {
        pthread_mutex_unlock(&q->mutex);
        ctx.yield();
        lock(q, ctx, cooperative);
      } else {
        pthread_cond_wait(&q->not_full, &q->mutex);
      }
    }
    std::memcpy(slot((q->head + q->count) % kSlots), data, n);
    ++q->count;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mutex);
  }

  void take(std::byte* data, size_t n, WorkerContext& ctx, bool cooperative) {
    QueueState* q = state();
    lock(q, ctx, cooperative);
    while (q->count == 0) {
      if (cooperative) {
        pthread_mutex_unlock(&q->mutex);
        ctx.yield();
        lock(q, ctx, cooperative);
      } else {
        pthread_cond_wait(&q->not_empty, &q->mutex);
      }
    }
    std::memcpy(data, slot(q->head), n);
    q->head = (q->head + 1) % kSlots;
    --q->count;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mutex);
  }

 private:
  // A fiber never holds the lock across a yield, so a cooperative try-and-yield cannot deadlock.
  static void lock(QueueState* q, WorkerContext& ctx, bool cooperative) {
    if (!cooperative) {
      pthread_mutex_lock(&q->mutex);
      return;
    }
    while (pthread_mutex_trylock(&q->mutex) != 0) ctx.yield();
  }

  QueueState* state() const { return static_cast<QueueState*>(mapping_.data()); }
  std::byte* slot(uint32_t i) const {
    return static_cast<std::byte*>(mapping_.data()) + sizeof(QueueState) + size_t(i) * slot_size_;
  }

  size_t slot_size_;
  SharedMapping mapping_;
};

class QueueEndpoint final : public Endpoint {
 public:
  QueueEndpoint(std::shared_ptr<LockedQueue> in, std::shared_ptr<LockedQueue> out)
      : in_(std::move(in)), out_(std::move(out)) {}
  void set_cooperative() override { cooperative_ = true; }
  void send(const std::byte* data, size_t n, WorkerContext& ctx) override { out_->put(data, n, ctx, cooperative_); }
  void recv(std::byte* data, size_t n, WorkerContext& ctx) override { in_->take(data, n, ctx, cooperative_); }

 private:
  std::shared_ptr<LockedQueue> in_, out_;
  bool cooperative_ = false;
};

}  // namespace

Channel make_queue_channel(size_t msg_size) {
  auto there = std::make_shared<LockedQueue>(msg_size);
  auto back = std::make_shared<LockedQueue>(msg_size);
  return {std::make_unique<QueueEndpoint>(back, there), std::make_unique<QueueEndpoint>(there, back)};
}

}  // namespace versus::ipc
