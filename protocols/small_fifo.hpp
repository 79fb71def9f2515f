#pragma once
/// A FIFO that costs nothing while empty and little while short: a vector
/// with a moving head. libstdc++'s std::deque allocates a 64-byte map and a
/// 512-byte node on construction, so every idle connection paid ~1.2 KiB
/// for its (empty) write queues (issue 30, idle connections). Popped slots
/// are reset at once (a string's bytes go back to the heap) and the
/// consumed prefix is compacted away, so push/pop stay amortised O(1).

#include <cstddef>
#include <utility>
#include <vector>

namespace themis {

template <class T>
class small_fifo {
public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  bool empty() const { return head_ == buf_.size(); }
  size_t size() const { return buf_.size() - head_; }

  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  T& back() { return buf_.back(); }
  T& operator[](size_t i) { return buf_[head_ + i]; }
  const T& operator[](size_t i) const { return buf_[head_ + i]; }

  iterator begin() { return buf_.begin() + static_cast<ptrdiff_t>(head_); }
  iterator end() { return buf_.end(); }
  const_iterator begin() const {
    return buf_.begin() + static_cast<ptrdiff_t>(head_);
  }
  const_iterator end() const { return buf_.end(); }

  void push_back(T v) {
    // the consumed prefix is at least half the vector: move the live part
    // down instead of growing (keeps capacity ~2x the longest backlog)
    if (head_ > 0 && head_ * 2 >= buf_.size() &&
        buf_.size() == buf_.capacity()) {
      buf_.erase(buf_.begin(), begin());
      head_ = 0;
    }
    buf_.push_back(std::move(v));
  }

  void pop_front() {
    buf_[head_] = T{};
    if (++head_ == buf_.size())
      reset();
  }

  void pop_back() {
    buf_.pop_back();
    if (head_ == buf_.size())
      reset();
  }

  void clear() {
    buf_.clear();
    reset();
  }

private:
  /// Empty again: a queue that once held a burst gives the memory back,
  /// a short one keeps its few slots for the next message.
  void reset() {
    buf_.clear();
    head_ = 0;
    if (buf_.capacity() > shrink_above)
      std::vector<T>().swap(buf_);
  }

  static constexpr size_t shrink_above = 8;
  std::vector<T> buf_;
  size_t head_ = 0;
};

} // namespace themis
