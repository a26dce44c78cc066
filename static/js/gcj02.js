/* GCJ-02 ("Mars" coordinates of Amap and other Chinese basemaps) for Leaflet.
   L.CRS.GCJ02 is Web Mercator applied after WGS-84 -> GCJ-02, so WGS-84 overlays land on
   GCJ-02 tiles where they belong instead of ~500 m off. The inverse iterates the forward
   formula to a fixed point (sub-millimetre), as geo_service/coords.py does on the server. */
(function () {
  "use strict";
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var PI = Math.PI;

  function outOfChina(lng, lat) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  }
  function wgsToGcj(lat, lng) {
    if (outOfChina(lng, lat)) { return [lat, lng]; }
    var dLat = tLat(lng - 105.0, lat - 35.0);
    var dLng = tLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * PI;
    var magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lat + dLat, lng + dLng];
  }
  function gcjToWgs(lat, lng) {
    var w = [lat, lng];
    for (var i = 0; i < 20; i++) {
      var g = wgsToGcj(w[0], w[1]);
      var dLat = g[0] - lat;
      var dLng = g[1] - lng;
      w = [w[0] - dLat, w[1] - dLng];
      if (Math.abs(dLat) < 1e-10 && Math.abs(dLng) < 1e-10) { break; }
    }
    return w;
  }

  L.Projection.GCJMercator = {
    R: L.Projection.SphericalMercator.R,
    MAX_LATITUDE: L.Projection.SphericalMercator.MAX_LATITUDE,
    bounds: L.Projection.SphericalMercator.bounds,
    project: function (latlng) {
      var g = wgsToGcj(latlng.lat, latlng.lng);
      return L.Projection.SphericalMercator.project(L.latLng(g[0], g[1]));
    },
    unproject: function (point) {
      var g = L.Projection.SphericalMercator.unproject(point);
      var w = gcjToWgs(g.lat, g.lng);
      return L.latLng(w[0], w[1]);
    }
  };
  L.CRS.GCJ02 = L.extend({}, L.CRS.EPSG3857, { code: "GCJ02", projection: L.Projection.GCJMercator });
  window.GCJ02 = { wgsToGcj: wgsToGcj, gcjToWgs: gcjToWgs };
})();
