#pragma once
// A forward-only, bounded XML reader over bytes in memory (libxml2's
// xmlTextReader) for document formats: no network, no DTD loading, no
// external or expanded entities, libxml2's default depth and size limits.
// Streaming keeps memory flat and needs no recursion over the document tree.

#include <libxml/xmlreader.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter::content {

class XmlStream {
 public:
  enum class Node { element, end_element, text, other };

  explicit XmlStream(std::string_view xml);

  // Advances to the next node. False at the end of the document or on the
  // first parse error (then failed() is true).
  bool next();
  bool failed() const { return failed_; }

  Node node() const { return node_; }
  // Element name without its namespace prefix: Office formats are matched on
  // local names so that strict and transitional namespaces both work.
  std::string_view local_name() const;
  bool empty_element() const;  // <a/>: no end_element follows
  int depth() const;
  // Text of a text, CDATA or significant-whitespace node.
  std::string_view text() const;
  // Attribute of the current element by local name, whatever its prefix.
  std::optional<std::string> attribute(std::string_view local) const;
  // Local names of the elements enclosing the current node, outermost first
  // (for an end_element: those enclosing the element that ends).
  const std::vector<std::string>& ancestors() const { return ancestors_; }
  std::string_view parent() const { return ancestors_.empty() ? std::string_view() : ancestors_.back(); }
  std::size_t nodes_read() const { return nodes_read_; }

 private:
  struct ReaderFree {
    void operator()(xmlTextReader* reader) const { xmlFreeTextReader(reader); }
  };
  std::unique_ptr<xmlTextReader, ReaderFree> reader_;
  Node node_ = Node::other;
  bool failed_ = false;
  bool entered_element_ = false;  // the current node is a start tag with content: it encloses what follows
  std::vector<std::string> ancestors_;
  std::size_t nodes_read_ = 0;
};

}  // namespace privmilter::content
