#include "xml_stream.h"

#include <limits>

#include "content_runtime.h"

namespace privmilter::content {
namespace {

std::string_view view(const xmlChar* text) {
  return text == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(text));
}

// Errors are reported through failed(), never printed: they could quote content.
void ignore_error(void* /*context*/, const char* /*message*/, xmlParserSeverities /*severity*/,
                  xmlTextReaderLocatorPtr /*locator*/) {}

}  // namespace

XmlStream::XmlStream(std::string_view xml) {
  ensure_libraries_initialized();
  if (xml.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    failed_ = true;
    return;
  }
  // Deliberately absent: XML_PARSE_NOENT (entity expansion), XML_PARSE_DTDLOAD,
  // XML_PARSE_DTDATTR, XML_PARSE_HUGE (lifts the depth and size limits).
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  reader_.reset(xmlReaderForMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, kOptions));
  if (reader_ == nullptr) {
    failed_ = true;
    return;
  }
  xmlTextReaderSetErrorHandler(reader_.get(), ignore_error, nullptr);
}

bool XmlStream::next() {
  if (failed_ || reader_ == nullptr) return false;
  if (entered_element_) ancestors_.emplace_back(local_name());
  entered_element_ = false;
  const int status = xmlTextReaderRead(reader_.get());
  if (status != 1) {
    failed_ = status < 0;
    return false;
  }
  ++nodes_read_;
  switch (xmlTextReaderNodeType(reader_.get())) {
    case XML_READER_TYPE_ELEMENT:
      node_ = Node::element;
      entered_element_ = !empty_element();
      break;
    case XML_READER_TYPE_END_ELEMENT:
      node_ = Node::end_element;
      if (!ancestors_.empty()) ancestors_.pop_back();
      break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
    case XML_READER_TYPE_WHITESPACE:
      node_ = Node::text;
      break;
    default:
      node_ = Node::other;
  }
  return true;
}

std::string_view XmlStream::local_name() const { return view(xmlTextReaderConstLocalName(reader_.get())); }

bool XmlStream::empty_element() const { return xmlTextReaderIsEmptyElement(reader_.get()) == 1; }

int XmlStream::depth() const { return xmlTextReaderDepth(reader_.get()); }

std::string_view XmlStream::text() const { return view(xmlTextReaderConstValue(reader_.get())); }

std::optional<std::string> XmlStream::attribute(std::string_view local) const {
  xmlTextReader* reader = reader_.get();
  if (xmlTextReaderMoveToFirstAttribute(reader) != 1) return std::nullopt;
  std::optional<std::string> found;
  do {
    if (view(xmlTextReaderConstLocalName(reader)) == local) {
      found = std::string(view(xmlTextReaderConstValue(reader)));
      break;
    }
  } while (xmlTextReaderMoveToNextAttribute(reader) == 1);
  xmlTextReaderMoveToElement(reader);
  return found;
}

}  // namespace privmilter::content
