#include "html_text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "content_runtime.h"

namespace privmilter::content {
namespace {

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

struct XmlCharFree {
  void operator()(xmlChar* text) const { xmlFree(text); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharFree>;

std::string_view name_of(const xmlNode* node) {
  return node->name != nullptr ? std::string_view(reinterpret_cast<const char*>(node->name))
                               : std::string_view();
}

bool is_hidden_element(std::string_view name) {
  return name == "script" || name == "style" || name == "head" || name == "template";
}

bool is_block_element(std::string_view name) {
  static constexpr std::array<std::string_view, 42> kBlocks = {
      "address",  "article",    "aside",   "blockquote", "body",   "br",  "caption",
      "center",   "dd",         "details", "dialog",     "div",    "dl",  "dt",
      "fieldset", "figcaption", "figure",  "footer",     "form",   "h1",  "h2",
      "h3",       "h4",         "h5",      "h6",         "header", "hr",  "html",
      "li",       "main",       "nav",     "ol",         "p",      "pre", "section",
      "summary",  "table",      "tbody",   "tfoot",      "thead",  "tr",  "ul"};
  return std::find(kBlocks.begin(), kBlocks.end(), name) != kBlocks.end();
}

bool is_cell_element(std::string_view name) { return name == "td" || name == "th"; }

// Accumulates visible text, collapsing whitespace the way a browser does.
class VisibleText {
 public:
  void append(std::string_view text, bool preformatted) {
    out_.reserve(out_.size() + text.size());
    for (std::size_t pos = 0; pos < text.size();) {
      const auto byte = static_cast<unsigned char>(text[pos]);
      if (is_visible_ascii(byte)) {
        // Words are copied whole: most of a page is runs of visible ASCII.
        emit_pending_space();
        std::size_t end = pos + 1;
        while (end < text.size() && is_visible_ascii(static_cast<unsigned char>(text[end]))) ++end;
        out_.append(text, pos, end - pos);
        pos = end;
        continue;
      }
      const std::size_t skip = byte >= 0xC2 ? invisible_character_length(text, pos) : 0;
      if (skip > 0) {
        pos += skip;
        continue;
      }
      const std::size_t space = whitespace_length(text, pos);
      if (space > 0) {
        if (preformatted && text[pos] == '\n') {
          line_break();
        } else if (preformatted && text[pos] != '\r') {
          emit_pending_space();
          out_.push_back(' ');
        } else {
          pending_space_ = true;
        }
        pos += space;
        continue;
      }
      emit_pending_space();
      out_.push_back(text[pos]);
      ++pos;
    }
  }

  void line_break() {
    pending_space_ = false;
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    if (out_.empty() || out_.back() == '\n') return;
    out_.push_back('\n');
  }

  void word_break() { pending_space_ = true; }

  std::string finish() {
    while (!out_.empty() && (out_.back() == '\n' || out_.back() == ' ')) out_.pop_back();
    return std::move(out_);
  }

 private:
  void emit_pending_space() {
    if (pending_space_ && !out_.empty() && out_.back() != '\n') out_.push_back(' ');
    pending_space_ = false;
  }

  static bool is_visible_ascii(unsigned char byte) { return byte > ' ' && byte < 0x80; }

  // ASCII whitespace and U+00A0 (no-break space) count as spaces.
  static std::size_t whitespace_length(std::string_view text, std::size_t pos) {
    const char c = text[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') return 1;
    if (text.substr(pos, 2) == "\xC2\xA0") return 2;
    return 0;
  }

  // U+00AD soft hyphen, U+200B..U+200D zero-width (non-)joiners and space,
  // U+2060 word joiner, U+FEFF zero-width no-break space.
  static std::size_t invisible_character_length(std::string_view text, std::size_t pos) {
    static constexpr std::array<std::string_view, 6> kInvisible = {
        "\xC2\xAD", "\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xE2\x81\xA0", "\xEF\xBB\xBF"};
    for (std::string_view sequence : kInvisible) {
      if (text.substr(pos, sequence.size()) == sequence) return sequence.size();
    }
    return 0;
  }

  std::string out_;
  bool pending_space_ = false;
};

void append_attribute(VisibleText& text, xmlNode* element, const char* attribute) {
  XmlCharPtr value(xmlGetProp(element, reinterpret_cast<const xmlChar*>(attribute)));
  if (!value) return;
  text.word_break();
  text.append(reinterpret_cast<const char*>(value.get()), false);
  text.word_break();
}

struct Visit {
  xmlNode* node;
  bool leaving;  // second visit of an element, after its children
};

// Iterative: libxml2 accepts deeply nested markup, the call stack should not have to.
void push_children(std::vector<Visit>& pending, xmlNode* first_child) {
  const std::size_t first = pending.size();
  for (xmlNode* child = first_child; child != nullptr; child = child->next) {
    pending.push_back({child, false});
  }
  std::reverse(pending.begin() + static_cast<std::ptrdiff_t>(first), pending.end());
}

std::string collect_visible_text(xmlDoc* doc) {
  VisibleText text;
  std::vector<Visit> pending;
  push_children(pending, doc->children);
  std::size_t preformatted_depth = 0;
  while (!pending.empty()) {
    const Visit visit = pending.back();
    pending.pop_back();
    xmlNode* node = visit.node;
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      if (node->content != nullptr) {
        text.append(reinterpret_cast<const char*>(node->content), preformatted_depth > 0);
      }
      continue;
    }
    if (node->type != XML_ELEMENT_NODE) continue;
    const std::string_view name = name_of(node);
    if (visit.leaving) {
      if (name == "pre" && preformatted_depth > 0) --preformatted_depth;
      if (is_block_element(name)) text.line_break();
      if (is_cell_element(name)) text.word_break();
      continue;
    }
    if (is_hidden_element(name)) continue;
    if (is_block_element(name)) text.line_break();
    if (is_cell_element(name)) text.word_break();
    if (name == "pre") ++preformatted_depth;
    append_attribute(text, node, "title");
    append_attribute(text, node, "alt");
    pending.push_back({node, true});
    push_children(pending, node->children);
  }
  return text.finish();
}

}  // namespace

std::string html_to_text(std::string_view html) {
  if (html.empty()) return {};
  ensure_libraries_initialized();
  const int length = static_cast<int>(std::min<std::size_t>(html.size(), INT_MAX));
  // The charset was already converted to UTF-8: ignore <meta charset>.
  XmlDocPtr doc(htmlReadMemory(html.data(), length, nullptr, "UTF-8",
                               HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                   HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC));
  if (!doc) return {};
  return collect_visible_text(doc.get());
}

}  // namespace privmilter::content
