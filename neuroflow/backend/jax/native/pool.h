// Worker threads for the native kernels' large calls (a million-neuron step), on pthreads.
//
// A call splits its work into tasks and hands them to `Pool::For`; the calling thread (worker 0)
// and the pool's helpers (workers 1, 2, ...) claim tasks from one atomic counter until none is
// left.  The caller never waits
// for a helper to wake up: on a busy machine, where a helper is not scheduled in time, the
// caller takes every task itself, and a helper that wakes late finds the job closed.  It waits
// only for helpers that took a task to finish it.  Between jobs, the caller and the helpers spin
// for up to 30 us before they sleep.  Results never depend on how many threads ran: each task
// writes only its own outputs, in an order fixed by the task's index.
//
// pthreads and GCC's atomics rather than <thread> and <atomic>, whose headers would double the
// time the core library takes to compile on a machine's first run.  Each library that includes
// this header has a pool of its own (helpers sleep between jobs).  The size is the number of
// CPUs this process may run on, or NEUROFLOW_THREADS if set; `NEUROFLOW_POOL_CONTROL` exports
// `NeuroflowThreads`, which reads it and sets it (1: every call runs on its caller alone).
#ifndef NEUROFLOW_NATIVE_POOL_H_
#define NEUROFLOW_NATIVE_POOL_H_

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>

namespace neuroflow {

inline void Pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class Pool {
 public:
  using Task = void (*)(void* context, int64_t k, int worker);
  static constexpr int kMaxThreads = 16;

  static Pool& Shared() {
    static Pool pool;
    return pool;
  }

  // Threads a call may use (the caller included).
  int threads() const { return __atomic_load_n(&wanted_, __ATOMIC_RELAXED); }
  void set_threads(int n) {
    __atomic_store_n(&wanted_, n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n, __ATOMIC_RELAXED);
  }

  // Runs f(k, worker) for every k < tasks, over the caller and the helpers; returns when all
  // are done.  Another call already using the pool (XLA may run two kernels at once) runs on its
  // caller alone.
  template <typename F>
  void For(int64_t tasks, F& f) {
    Run(tasks, [](void* context, int64_t k, int worker) { (*static_cast<F*>(context))(k, worker); }, &f);
  }

 private:
  struct Job {
    Task task;
    void* context;
    int64_t tasks;
    int64_t next;  // the next unclaimed task
    int joined;    // helpers working on it
  };

  Pool() {
    int n = 0;
    const char* text = std::getenv("NEUROFLOW_THREADS");
    if (text != nullptr) n = std::atoi(text);
    if (n <= 0) {
      cpu_set_t cpus;
      n = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    }
    set_threads(n);
  }

  // Runs tasks of `job` until none is left; returns how many.
  static int64_t Work(Job* job, int worker) {
    for (int64_t done = 0;; ++done) {
      const int64_t k = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
      if (k >= job->tasks) return done;
      job->task(job->context, k, worker);
    }
  }

  static constexpr int64_t kSpinNs = 30000;

  static int64_t NowNs() {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000 + now.tv_nsec;
  }

  // Calls `done()` until it is true or about kSpinNs have passed; returns done().  The calls of a
  // step come microseconds apart, and waking a sleeping thread takes about as long.
  template <typename Done>
  static bool SpinUntil(Done done) {
    timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int64_t k = 1;; ++k) {
      if (done()) return true;
      Pause();
      if (k % 64 == 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000000000 + (now.tv_nsec - start.tv_nsec) > kSpinNs) return done();
      }
    }
  }

  // A caller that waited more than the spin (~30 us) for a helper to finish its task, and took
  // a time slice (kSliceNs) longer with the helpers than it would have alone, shared its core
  // with a helper (another process held the other ones): the next kBackOffCalls calls run on
  // their callers alone, and the helpers go to sleep, before the pool is tried again.
  static constexpr int kBackOffCalls = 1000;
  static constexpr int64_t kSliceNs = 1000000;

  void Run(int64_t tasks, Task task, void* context) {
    const bool backing_off = __atomic_load_n(&back_off_, __ATOMIC_RELAXED) > 0 &&
                             __atomic_sub_fetch(&back_off_, 1, __ATOMIC_RELAXED) >= 0;
    if (!backing_off && tasks > 1 && threads() > 1 && pthread_mutex_trylock(&busy_) == 0) {
      Job job{task, context, tasks, 0, 0};
      pthread_mutex_lock(&lock_);
      StartHelpers(threads() - 1);
      job_ = &job;
      __atomic_add_fetch(&generation_, 1, __ATOMIC_RELEASE);
      pthread_cond_broadcast(&wake_);
      pthread_mutex_unlock(&lock_);
      const int64_t began = NowNs();
      const int64_t own_tasks = Work(&job, 0);
      const int64_t own_ns = NowNs() - began;
      pthread_mutex_lock(&lock_);
      job_ = nullptr;  // no helper joins from now on
      pthread_mutex_unlock(&lock_);
      if (!SpinUntil([&] { return __atomic_load_n(&job.joined, __ATOMIC_ACQUIRE) == 0; })) {
        pthread_mutex_lock(&lock_);
        while (__atomic_load_n(&job.joined, __ATOMIC_ACQUIRE) > 0) pthread_cond_wait(&left_, &lock_);
        pthread_mutex_unlock(&lock_);
        // Tasks are alike: back off where the call took a scheduler's time slice longer than
        // the caller would have taken over all of them alone.  A helper that woke late (tens of
        // microseconds), or a large call's last task, also outlasts the spin, and backing off
        // there would cost the large calls their second thread.
        if (own_tasks > 0 && NowNs() - began > own_ns / own_tasks * tasks + kSliceNs)
          __atomic_store_n(&back_off_, kBackOffCalls, __ATOMIC_RELAXED);
      }
      pthread_mutex_unlock(&busy_);
      return;
    }
    for (int64_t k = 0; k < tasks; ++k) task(context, k, 0);
  }

  // Under lock_: start helpers until there are `n`.
  void StartHelpers(int n) {
    while (helpers_ < n) {
      pthread_t thread;
      pthread_attr_t attributes;
      pthread_attr_init(&attributes);
      pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
      starts_[helpers_] = Start{this, helpers_ + 1};
      const bool started = pthread_create(&thread, &attributes, &Pool::Helper, &starts_[helpers_]) == 0;
      pthread_attr_destroy(&attributes);
      if (!started) return;  // fewer helpers: the callers do more of the work
      ++helpers_;
    }
  }

  static void* Helper(void* start) {
    Pool& pool = *static_cast<Start*>(start)->pool;
    const int worker = static_cast<Start*>(start)->worker;
    pthread_mutex_lock(&pool.lock_);
    uint64_t seen = pool.generation_ - (pool.job_ != nullptr);  // joins the job it was started for
    for (;;) {
      while (pool.job_ == nullptr || pool.generation_ == seen) pthread_cond_wait(&pool.wake_, &pool.lock_);
      seen = pool.generation_;
      Job* job = pool.job_;
      __atomic_add_fetch(&job->joined, 1, __ATOMIC_RELAXED);
      pthread_mutex_unlock(&pool.lock_);
      Work(job, worker);
      pthread_mutex_lock(&pool.lock_);
      // the caller may be spinning on `joined` and return at once: `job` is not touched after
      if (__atomic_sub_fetch(&job->joined, 1, __ATOMIC_RELEASE) == 0) pthread_cond_signal(&pool.left_);
      pthread_mutex_unlock(&pool.lock_);
      SpinUntil([&] { return __atomic_load_n(&pool.generation_, __ATOMIC_ACQUIRE) != seen; });
      pthread_mutex_lock(&pool.lock_);
    }
    return nullptr;
  }

  struct Start {
    Pool* pool;
    int worker;
  };

  int wanted_ = 1;
  int back_off_ = 0;  // calls left to run on their callers alone
  Start starts_[kMaxThreads];
  int helpers_ = 0;
  Job* job_ = nullptr;
  uint64_t generation_ = 0;
  pthread_mutex_t busy_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake_ = PTHREAD_COND_INITIALIZER;
  pthread_cond_t left_ = PTHREAD_COND_INITIALIZER;
};

// One call of the pool for its tests: `tasks` tasks that each spin for `spin_ns`, those a helper
// runs then sleeping `helper_sleep_us` (a helper the scheduler took away); the worker that ran
// each task goes into `workers`.
inline void ProbePool(int64_t tasks, int64_t spin_ns, int64_t helper_sleep_us, int32_t* workers) {
  auto task = [&](int64_t k, int worker) {
    workers[k] = worker;
    timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
      Pause();
      clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000 + (now.tv_nsec - start.tv_nsec) < spin_ns);
    if (worker != 0 && helper_sleep_us > 0) {
      const timespec pause{helper_sleep_us / 1000000, helper_sleep_us % 1000000 * 1000};
      nanosleep(&pause, nullptr);
    }
  };
  Pool::Shared().For(tasks, task);
}

}  // namespace neuroflow

// Exports `int NeuroflowThreads(int n)`: sets the threads of this library's calls where n > 0,
// and returns them; and `NeuroflowProbePool` (`ProbePool`, for tests).
#define NEUROFLOW_POOL_CONTROL                                                                   \
  extern "C" int NeuroflowThreads(int n) {                                                       \
    if (n > 0) neuroflow::Pool::Shared().set_threads(n);                                         \
    return neuroflow::Pool::Shared().threads();                                                  \
  }                                                                                              \
  extern "C" void NeuroflowProbePool(int64_t tasks, int64_t spin_ns, int64_t helper_sleep_us,   \
                                     int32_t* workers) {                                         \
    neuroflow::ProbePool(tasks, spin_ns, helper_sleep_us, workers);                              \
  }

#endif  // NEUROFLOW_NATIVE_POOL_H_
