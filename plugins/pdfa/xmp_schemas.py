"""The XMP schemas a PDF/A-1 file may use without describing them: those of the XMP Specification
(January 2004), as ISO 19005-1 6.7.8 and 6.7.9 read it, plus the PDF/A identification schema.

Data only: namespace → property → value type, written as the XMP Specification writes them
("Seq ProperName", "Lang Alt", "Bag Job"); :mod:`plugins.pdfa.xmp` checks a property's form against
its type. Closed choices (``tiff:Compression`` is 1 or 6 …) are checked as their base type, the way
the reference validator does by default: a value outside the choice is a rendering question, not a
syntax one. Any other property needs an extension schema in the packet (6.7.8).
"""

from __future__ import annotations

NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_META = "adobe:ns:meta/"
NS_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_PDF = "http://ns.adobe.com/pdf/1.3/"
NS_EXIF = "http://ns.adobe.com/exif/1.0/"
# The PDF/A extension schema container and its structures (ISO 19005-1 6.7.8, Cor.1).
NS_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
NS_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
NS_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
NS_TYPE = "http://www.aiim.org/pdfa/ns/type#"
NS_FIELD = "http://www.aiim.org/pdfa/ns/field#"

PREDEFINED: dict[str, dict[str, str]] = {
    NS_PDFAID: {"part": "Integer", "amd": "Text", "conformance": "Text"},
    NS_DC: {
        "contributor": "Bag ProperName", "coverage": "Text", "creator": "Seq ProperName", "date": "Seq Date",
        "description": "Lang Alt", "format": "MIMEType", "identifier": "Text", "language": "Bag Locale",
        "publisher": "Bag ProperName", "relation": "Bag Text", "rights": "Lang Alt", "source": "Text",
        "subject": "Bag Text", "title": "Lang Alt", "type": "Bag Text",
    },
    NS_XMP: {
        "Advisory": "Bag XPath", "BaseURL": "URL", "CreateDate": "Date", "CreatorTool": "AgentName",
        "Identifier": "Bag Text", "MetadataDate": "Date", "ModifyDate": "Date", "Nickname": "Text",
        "Thumbnails": "Alt Thumbnail",
    },
    "http://ns.adobe.com/xap/1.0/rights/": {
        "Certificate": "URL", "Marked": "Boolean", "Owner": "Bag ProperName", "UsageTerms": "Lang Alt",
        "WebStatement": "URL",
    },
    "http://ns.adobe.com/xap/1.0/mm/": {
        "DerivedFrom": "ResourceRef", "DocumentID": "URI", "History": "Seq ResourceEvent", "InstanceID": "URI",
        "ManagedFrom": "ResourceRef", "Manager": "AgentName", "ManageTo": "URI", "ManageUI": "URI",
        "ManagerVariant": "Text", "RenditionClass": "RenditionClass", "RenditionParams": "Text",
        "VersionID": "Text", "Versions": "Seq Version", "LastURL": "URL", "RenditionOf": "ResourceRef",
        "SaveID": "Integer",
    },
    "http://ns.adobe.com/xap/1.0/bj/": {"JobRef": "Bag Job"},
    "http://ns.adobe.com/xap/1.0/t/pg/": {"MaxPageSize": "Dimensions", "NPages": "Integer"},
    NS_PDF: {"Keywords": "Text", "PDFVersion": "Text", "Producer": "AgentName"},
    "http://ns.adobe.com/photoshop/1.0/": {
        "AuthorsPosition": "Text", "CaptionWriter": "ProperName", "Category": "Text", "City": "Text",
        "Country": "Text", "Credit": "Text", "DateCreated": "Date", "Headline": "Text", "Instructions": "Text",
        "Source": "Text", "State": "Text", "SupplementalCategories": "Text", "TransmissionReference": "Text",
        "Urgency": "Integer",
    },
    "http://ns.adobe.com/tiff/1.0/": {
        "ImageWidth": "Integer", "ImageLength": "Integer", "BitsPerSample": "Seq Integer", "Compression": "Integer",
        "PhotometricInterpretation": "Integer", "Orientation": "Integer", "SamplesPerPixel": "Integer",
        "PlanarConfiguration": "Integer", "YCbCrSubSampling": "Seq Integer", "YCbCrPositioning": "Integer",
        "XResolution": "Rational", "YResolution": "Rational", "ResolutionUnit": "Integer",
        "TransferFunction": "Seq Integer", "WhitePoint": "Seq Rational", "PrimaryChromaticities": "Seq Rational",
        "YCbCrCoefficients": "Seq Rational", "ReferenceBlackWhite": "Seq Rational", "DateTime": "Date",
        "ImageDescription": "Lang Alt", "Make": "ProperName", "Model": "ProperName", "Software": "AgentName",
        "Artist": "ProperName", "Copyright": "Lang Alt",
    },
    NS_EXIF: {
        "ExifVersion": "Text", "FlashpixVersion": "Text", "ColorSpace": "Integer",
        "ComponentsConfiguration": "Seq Integer", "CompressedBitsPerPixel": "Rational", "PixelXDimension": "Integer",
        "PixelYDimension": "Integer", "MakerNote": "Text", "UserComment": "Lang Alt", "RelatedSoundFile": "Text",
        "DateTimeOriginal": "Date", "DateTimeDigitized": "Date", "ExposureTime": "Rational", "FNumber": "Rational",
        "ExposureProgram": "Integer", "SpectralSensitivity": "Text", "ISOSpeedRatings": "Seq Integer",
        "OECF": "OECF/SFR", "ShutterSpeedValue": "Rational", "ApertureValue": "Rational",
        "BrightnessValue": "Rational", "ExposureBiasValue": "Rational", "MaxApertureValue": "Rational",
        "SubjectDistance": "Rational", "MeteringMode": "Integer", "LightSource": "Integer", "Flash": "Flash",
        "FocalLength": "Rational", "SubjectArea": "Seq Integer", "FlashEnergy": "Rational",
        "SpatialFrequencyResponse": "OECF/SFR", "FocalPlaneXResolution": "Rational",
        "FocalPlaneYResolution": "Rational", "FocalPlaneResolutionUnit": "Integer", "SubjectLocation": "Seq Integer",
        "ExposureIndex": "Rational", "SensingMethod": "Integer", "FileSource": "Integer", "SceneType": "Integer",
        "CFAPattern": "CFAPattern", "CustomRendered": "Integer", "ExposureMode": "Integer",
        "WhiteBalance": "Integer", "DigitalZoomRatio": "Rational", "FocalLengthIn35mmFilm": "Integer",
        "SceneCaptureType": "Integer", "GainControl": "Integer", "Contrast": "Integer", "Saturation": "Integer",
        "Sharpness": "Integer", "DeviceSettingDescription": "DeviceSettings", "SubjectDistanceRange": "Integer",
        "ImageUniqueID": "Text", "GPSVersionID": "Text", "GPSLatitude": "GPSCoordinate",
        "GPSLongitude": "GPSCoordinate", "GPSAltitudeRef": "Integer", "GPSAltitude": "Rational",
        "GPSTimeStamp": "Date", "GPSSatellites": "Text", "GPSStatus": "Text", "GPSMeasureMode": "Integer",
        "GPSDOP": "Rational", "GPSSpeedRef": "Text", "GPSSpeed": "Rational", "GPSTrackRef": "Text",
        "GPSTrack": "Rational", "GPSImgDirectionRef": "Text", "GPSImgDirection": "Rational", "GPSMapDatum": "Text",
        "GPSDestLatitude": "GPSCoordinate", "GPSDestLongitude": "GPSCoordinate", "GPSDestBearingRef": "Text",
        "GPSDestBearing": "Rational", "GPSDestDistanceRef": "Text", "GPSDestDistance": "Rational",
        "GPSProcessingMethod": "Text", "GPSAreaInformation": "Text", "GPSDifferential": "Integer",
    },
}

# Structured value types of the XMP Specification: type → (field namespace, field → type).
STRUCTURES: dict[str, tuple[str, dict[str, str]]] = {
    "Dimensions": ("http://ns.adobe.com/xap/1.0/sType/Dimensions#", {"w": "Real", "h": "Real", "unit": "Text"}),
    "Thumbnail": ("http://ns.adobe.com/xap/1.0/g/img/",
                  {"height": "Integer", "width": "Integer", "format": "Text", "image": "Text"}),
    "ResourceEvent": ("http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
                      {"action": "Text", "instanceID": "URI", "parameters": "Text", "softwareAgent": "AgentName",
                       "when": "Date"}),
    "ResourceRef": ("http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
                    {"instanceID": "URI", "documentID": "URI", "versionID": "Text", "renditionClass": "RenditionClass",
                     "renditionParams": "Text", "manager": "AgentName", "managerVariant": "Text", "manageTo": "URI",
                     "manageUI": "URI"}),
    "Version": ("http://ns.adobe.com/xap/1.0/sType/Version#",
                {"comments": "Text", "event": "ResourceEvent", "modifyDate": "Date", "modifier": "ProperName",
                 "version": "Text"}),
    "Job": ("http://ns.adobe.com/xap/1.0/sType/Job#", {"name": "Text", "id": "Text", "url": "URL"}),
    "Flash": (NS_EXIF, {"Fired": "Boolean", "Return": "Integer", "Mode": "Integer", "Function": "Boolean",
                        "RedEyeMode": "Boolean"}),
    "OECF/SFR": (NS_EXIF, {"Columns": "Integer", "Rows": "Integer", "Names": "Seq Text", "Values": "Seq Rational"}),
    "CFAPattern": (NS_EXIF, {"Columns": "Integer", "Rows": "Integer", "Values": "Seq Integer"}),
    "DeviceSettings": (NS_EXIF, {"Columns": "Integer", "Rows": "Integer", "Settings": "Seq Text"}),
}

# Simple value types with a lexical form (regular expressions matched against the whole value);
# every other simple type (Text, ProperName, AgentName, Rational, URI, URL, XPath …) takes any text.
SIMPLE_PATTERNS: dict[str, str] = {
    "boolean": r"True|False",
    "integer": r"[+-]?\d+",
    "real": r"[+-]?\d+\.?\d*|[+-]?\d*\.?\d+",
    "mimetype": r"[-\w+.]+/[-\w+.]+",
    "locale": r"[a-zA-Z]{1,8}(?:-[a-zA-Z]{1,8})*",
    "gpscoordinate": r"\d{2},\d{2}[,.]\d{2}[NSEW]",
}
TEXT_TYPES = frozenset({"text", "propername", "agentname", "rational", "renditionclass", "uri", "url", "xpath"})
