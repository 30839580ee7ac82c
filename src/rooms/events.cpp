#include "rooms/events.hpp"

#include <cstring>
#include <new>

namespace parley {

std::string_view to_string(LeaveReason reason) {
  switch (reason) {
    case LeaveReason::leave:
      return "leave";
    case LeaveReason::disconnect:
      return "disconnect";
    case LeaveReason::timeout:
      return "timeout";
    case LeaveReason::kicked:
      return "kicked";
  }
  return "disconnect";
}

namespace {

// The allocator std::allocate_shared uses for a RelayedMessage: the block it
// asks for (control block and message) plus `extra` bytes behind it, whose
// address it leaves in `*texts` for the message's constructor to fill.
template <class T>
struct TrailingBytes {
  using value_type = T;

  TrailingBytes(std::size_t extra_bytes, char** texts_at) : extra(extra_bytes), texts(texts_at) {}
  template <class U>
  TrailingBytes(const TrailingBytes<U>& other) : extra(other.extra), texts(other.texts) {}

  T* allocate(std::size_t n) {
    const std::size_t head = n * sizeof(T);
    char* block = static_cast<char*>(::operator new(head + extra));
    *texts = block + head;
    return reinterpret_cast<T*>(block);
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }

  template <class U>
  bool operator==(const TrailingBytes<U>& other) const {
    return extra == other.extra;
  }

  std::size_t extra;
  char** texts;  // read by allocate() only, while make() runs
};

// Copies `from` to `*at` and moves `*at` past it.
std::string_view place(std::string_view from, char*& at) {
  if (from.empty()) return {};
  std::memcpy(at, from.data(), from.size());
  const std::string_view placed(at, from.size());
  at += from.size();
  return placed;
}

}  // namespace

std::shared_ptr<const RelayedMessage> RelayedMessage::make(const RelayDraft& draft,
                                                           std::string_view room,
                                                           std::string_view sender) {
  const std::size_t bytes = draft.type.size() + room.size() + sender.size() + draft.text.size();
  char* texts = nullptr;
  return std::allocate_shared<RelayedMessage>(TrailingBytes<RelayedMessage>(bytes, &texts), Key{},
                                              draft, room, sender, texts);
}

// The texts are placed in member order, so each view below is made after the
// previous one moved `at` on.
RelayedMessage::RelayedMessage(Key, const RelayDraft& draft, std::string_view room_name,
                               std::string_view sender_id, char*& texts)
    : type(place(draft.type, texts)),
      room(place(room_name, texts)),
      sender(place(sender_id, texts)),
      text(place(draft.text, texts)),
      has_from(draft.has_from),
      shape(draft.shape) {
  for (auto& encoding : encodings_) encoding.message = this;
}

}  // namespace parley
