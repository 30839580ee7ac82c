// What the room directory hands to a peer's session, in a form no dialect owns:
// each receiving dialect turns it into its own frames. Events are immutable
// once built. A relayed message is the sender's JSON text with its type, room
// and sender id; it is shared by every receiver (and by an away peer's kept
// messages), and it can be published to another node as it is.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "base/shared_text.hpp"

namespace parley {

// Why a peer is no longer in a room (the `reason` of `left` / `peer-left`).
enum class LeaveReason { leave, disconnect, timeout, kicked };
std::string_view to_string(LeaveReason reason);

// The relay types, as a bit set: what a join token's `relay` grant lets a peer
// send.
enum RelayBits : std::uint8_t {
  kRelayOffer = 1,
  kRelayAnswer = 2,
  kRelayCandidate = 4,
  kRelayMessage = 8,
  kRelayAll = 15,
};
// The bit of a relay type name ("offer", ...), or 0 for any other name.
inline std::uint8_t relay_bit(std::string_view type) {
  if (type == "offer") return kRelayOffer;
  if (type == "answer") return kRelayAnswer;
  if (type == "candidate") return kRelayCandidate;
  if (type == "message") return kRelayMessage;
  return 0;
}

// How a relayed message's text is shaped.
enum class RelayShape : std::uint8_t {
  // A JSON object: a whole signaling message (`type`, its payload, maybe `to`
  // and a `from` of the sender's own, which receivers replace).
  signal,
  // Any JSON value: application data, relayed as a `message` carrying it.
  data,
  // Any JSON value from the application (the admin API's server messages,
  // integration-v1.md): no sender; each dialect writes it as its
  // `server-message`.
  server,
};

// What a sender hands to the directory; the directory adds room and sender.
// Views, not strings: they point into the sender's read buffer (or its parsed
// packet), which outlives the relay() call; RelayedMessage::make() copies them
// once, into the message's own block.
struct RelayDraft {
  std::string_view type;  // offer, answer, candidate or message (grants, metrics)
  std::string_view text;  // the sender's JSON, valid, as the sender wrote it
  bool has_from = false;  // `text` is an object with a `from` member
  RelayShape shape = RelayShape::signal;
};

// A relayed message, and a memo of its encodings: one slot per dialect (the
// dialect's encoding slot, below kMaxEncodings), filled by whichever
// receiver's strand asks first, so N receivers of one dialect share one
// buffer and each encoding runs once per message.
//
// make() puts the reference count, the message and its four texts in one heap
// block: relaying costs that block and one buffer per receiving dialect,
// whatever the number of receivers.
class RelayedMessage {
  struct Key {};  // make() is the only way to build one

 public:
  static constexpr std::size_t kMaxEncodings = 4;

  static std::shared_ptr<const RelayedMessage> make(const RelayDraft& draft, std::string_view room,
                                                    std::string_view sender);

  // For make() only (std::allocate_shared needs it public): `texts` is where
  // the block's room for the four texts begins (set once the block exists);
  // the constructor moves it past what it copies.
  RelayedMessage(Key, const RelayDraft& draft, std::string_view room, std::string_view sender,
                 char*& texts);
  RelayedMessage(const RelayedMessage&) = delete;
  RelayedMessage& operator=(const RelayedMessage&) = delete;

  const std::string_view type;
  const std::string_view room;    // the sender's room
  const std::string_view sender;  // the sender's peer id
  const std::string_view text;
  const bool has_from;
  const RelayShape shape;

  // The size of what a receiver gets, for the kept buffer's byte cap: the text
  // with the sender named in it (`"from":"<sender>",`), or a server message's
  // `{"type":"server-message","room":"<room>","data":<text>}`.
  std::size_t frame_size() const { return frame_size(shape, text, room, sender); }
  static std::size_t frame_size(RelayShape shape, std::string_view text, std::string_view room,
                                std::string_view sender) {
    if (shape == RelayShape::server) return text.size() + room.size() + 43;
    return text.size() + sender.size() + 10;
  }

  // The encoding of `slot`, made by `encode()` (returning std::string) the
  // first time. The text shares the message's ownership: no allocation per
  // receiver. Thread-safe. Each dialect's codec owns one slot.
  template <class Encode>
  static SharedText encoded(const std::shared_ptr<const RelayedMessage>& message, std::size_t slot,
                            Encode&& encode) {
    const RelayedMessage& m = *message;
    auto& state = m.states_[slot];
    if (state.load(std::memory_order_acquire) != kReady) {
      std::uint8_t expected = kEmpty;
      if (state.compare_exchange_strong(expected, kFilling, std::memory_order_acq_rel)) {
        m.encodings_[slot].text = encode();
        state.store(kReady, std::memory_order_release);
      } else {
        // Another receiver's strand is encoding it right now (microseconds).
        while (state.load(std::memory_order_acquire) != kReady) std::this_thread::yield();
      }
    }
    return SharedText(message, &m.encodings_[slot].text);
  }

  // The message that `text`, a text encoded() returned, is an encoding of (it
  // shares that ownership): how a session's send queue, which holds texts,
  // hands relayed messages back for a resume.
  static std::shared_ptr<const RelayedMessage> of_encoding(const SharedText& text) {
    // `text` points to the first member of an Encoding (standard layout).
    return {text, reinterpret_cast<const Encoding*>(text.get())->message};
  }

 private:
  struct Encoding {
    std::string text;  // first: a pointer to it is a pointer to the Encoding
    const RelayedMessage* message = nullptr;
  };
  static_assert(std::is_standard_layout_v<Encoding>);

  static constexpr std::uint8_t kEmpty = 0, kFilling = 1, kReady = 2;
  mutable std::array<std::atomic<std::uint8_t>, kMaxEncodings> states_{};
  mutable std::array<Encoding, kMaxEncodings> encodings_;
};

using SharedMessage = std::shared_ptr<const RelayedMessage>;

// A relayed offer/answer/candidate/message.
struct RelayEvent {
  SharedMessage message;
};

// Presence events reach the peers of `room` and the connections watching it.
struct PeerJoinedEvent {
  std::string room;
  std::string id;
  nlohmann::json meta;  // the joiner's metadata (an object, `{}` when none)
};

struct PeerLeftEvent {
  std::string room;
  std::string id;
  LeaveReason reason;
};

// The receiving peer itself was removed from `room` (an admin kick).
struct RemovedEvent {
  std::string room;
  LeaveReason reason;
};

// A peer of `room` changed its metadata.
struct PeerUpdatedEvent {
  std::string room;
  std::string id;
  nlohmann::json meta;
};

using Event =
    std::variant<RelayEvent, PeerJoinedEvent, PeerLeftEvent, RemovedEvent, PeerUpdatedEvent>;

}  // namespace parley
